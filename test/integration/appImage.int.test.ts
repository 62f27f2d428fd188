/**
 * The sample app's image, built by the real engine and run as the dev stack declares its container
 * (env with secrets from the declared Secret, read-only root, uid 1000, no capabilities), on a free port.
 */
import * as fs from "fs";
import * as path from "path";
import { evaluate, find, ofType, TYPES } from "../harness";
import { SAMPLE_APP_DIR } from "./npmRegistry";
import { buildSampleApp } from "./sampleApp";
import { declaredRunArgs, docker, dockerOk, eventually, freePort, removeContainer, requireTestEnvironment, resolveEnv, run, tempDir } from "./testEnv";

describe("the sample app image", () => {
  let image: string;
  let container: string;
  let base: string;
  let secretValues: string[];
  let gracePeriodSeconds: number;

  beforeAll(async () => {
    await requireTestEnvironment();
    image = await buildSampleApp();
    const dev = await evaluate("dev");
    const deployment = find(dev.resources, TYPES.deployment, "app-web");
    const secrets = ofType(dev.resources, TYPES.secret);
    const env = resolveEnv(deployment.inputs.spec.template.spec.containers[0], secrets);
    secretValues = [env.API_KEY, env.DB_PASSWORD];
    gracePeriodSeconds = deployment.inputs.spec.template.spec.terminationGracePeriodSeconds;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const declared = declaredRunArgs(deployment, secrets, { image, overrides: { PORT: String(port) } });
    container = declared.name;
    await dockerOk(declared.args);
  }, 300_000);

  afterAll(async () => {
    if (container) await removeContainer(container);
  });

  test("runs as a non-root user", async () => {
    expect(await dockerOk(["image", "inspect", "-f", "{{.Config.User}}", image])).toBe("1000:1000");
    expect(await dockerOk(["exec", container, "id", "-u"])).toBe("1000");
  });

  test("/health and /ready answer 200 once started", async () => {
    await eventually("/ready to answer 200", async () => ((await fetch(`${base}/ready`)).status === 200 ? true : undefined));
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const root = await (await fetch(`${base}/`)).json();
    expect(root).toEqual({ service: "sample-web", version: "1.0.0", secretsPresent: { API_KEY: true, DB_PASSWORD: true } });
  });

  test("/metrics serves Prometheus text from the prom-client version the lockfile pins", async () => {
    await fetch(`${base}/health`);
    const answer = await fetch(`${base}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await answer.text();
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^http_requests_total\{path="\/health",status="200"\} [1-9]/m);
    const lock = JSON.parse(fs.readFileSync(path.join(SAMPLE_APP_DIR, "package-lock.json"), "utf8"));
    const installed = JSON.parse(await dockerOk(["exec", container, "cat", "node_modules/prom-client/package.json"]));
    expect(installed.version).toBe(lock.packages["node_modules/prom-client"].version);
  });

  test("its HEALTHCHECK turns healthy", async () => {
    const status = await eventually(
      "the container to be healthy",
      async () => {
        const s = await dockerOk(["inspect", "-f", "{{.State.Health.Status}}", container]);
        return s === "healthy" ? s : undefined;
      },
      120,
      500,
    );
    expect(status).toBe("healthy");
  });

  test("the run-time secrets are in the container, and nowhere in the image, its history or its layers", async () => {
    const containerEnv = await dockerOk(["inspect", "-f", "{{json .Config.Env}}", container]);
    for (const secret of secretValues) expect(containerEnv).toContain(secret);
    const history = await dockerOk(["history", "--no-trunc", image]);
    const config = await dockerOk(["image", "inspect", image]);
    const logs = await docker(["logs", container]);
    const dir = tempDir("image-layers");
    await dockerOk(["save", "-o", path.join(dir, "image.tar"), image]);
    expect((await run("tar", ["-xf", path.join(dir, "image.tar"), "-C", dir])).code).toBe(0);
    const layers = fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith("layer.tar"));
    expect(layers.length).toBeGreaterThan(0);
    for (const layer of layers) {
      const unpacked = fs.mkdtempSync(path.join(dir, "layer-"));
      expect((await run("tar", ["-xf", path.join(dir, layer), "-C", unpacked])).code).toBe(0);
    }
    // The build's npmrc secret was mounted for `npm ci` only: no layer has it, no history line names it.
    const npmrcFiles = await run("find", [dir, "-name", ".npmrc"]);
    expect(npmrcFiles.stdout.trim()).toBe("");
    expect(history).not.toMatch(/registry=/);
    for (const secret of secretValues) {
      expect(history).not.toContain(secret);
      expect(config).not.toContain(secret);
      expect(logs.stdout + logs.stderr).not.toContain(secret);
      const grep = await run("grep", ["-rlF", secret, dir]);
      expect({ secret: "(value)", filesContaining: grep.stdout.trim() }).toEqual({ secret: "(value)", filesContaining: "" });
    }
  });

  test("on SIGTERM /ready turns false and the process exits by itself within the grace period", async () => {
    await eventually("/ready to answer 200", async () => ((await fetch(`${base}/ready`)).status === 200 ? true : undefined));
    // docker stop sends SIGTERM, then SIGKILL after the grace period: exit code 0 means it left by itself.
    const stopped = docker(["stop", "--time", String(gracePeriodSeconds), container]);
    const draining = await eventually("/ready to answer 503", async () => ((await fetch(`${base}/ready`)).status === 503 ? true : undefined), 200, 50);
    expect(draining).toBe(true);
    expect((await stopped).code).toBe(0);
    expect(await dockerOk(["inspect", "-f", "{{.State.ExitCode}} {{.State.OOMKilled}}", container])).toBe("0 false");
  });
});
