/**
 * Garbage collection with the real registry, 2.8 and 3.1, as the prod stack declares it with filesystem
 * storage: deleting manifests frees nothing until the collector runs. The window's two steps are played
 * as the rollout would leave them: the registry restarted read-only (the CronJob's env override) on the
 * same volume, then the CronJob's own collector container (the registry's image, its storage settings,
 * its script and config path) run against that volume. Pulls go on; pushes are refused during the window.
 */
import * as fs from "fs";
import * as path from "path";
import { FixtureWriter, tagsOf } from "./registryFixtures";
import { READONLY_ENV, READONLY_VALUE } from "../../lib/gcScript";
import { evaluate, Evaluation, find, ofType, ROOT, stackConfig, TYPES } from "../harness";
import type { Recorded } from "../recorded";
import { waitHealthy } from "./plainRegistry";
import { basicAuth, declaredRunArgs, docker, dockerOk, freePort, REGISTRY_VERSIONS, removeContainer, requireTestEnvironment, run, tempDir } from "./testEnv";

const KUBECTL_PINNED = `alpine/k8s:1.31.4@sha256:${"c".repeat(64)}`;

/** The CronJob's collector as a one-container Deployment, so the declared-container runner reproduces it. */
function collectorOf(cron: Recorded): Recorded {
  const pod = cron.inputs.spec.jobTemplate.spec.template.spec;
  return { ...cron, name: `${cron.name}-collect`, inputs: { spec: { template: { spec: { ...pod, containers: pod.containers.filter((c: any) => c.name === "collect") } } } } };
}

describe.each(REGISTRY_VERSIONS)("garbage collection in a read-only window ($version)", ({ image, declared }) => {
  let prod: Evaluation;
  let auth: Record<string, string>;
  const containers: string[] = [];
  const dataDir = tempDir("registry-data");
  const windowDir = tempDir("gc-window");

  /** Runs the declared registry on the shared data folder, read-only or not; returns its URL and container. */
  async function startRegistry(readOnly: boolean): Promise<{ url: string; container: string }> {
    const [port, debugPort] = [await freePort(), await freePort()];
    const overrides = { REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`, REGISTRY_HTTP_DEBUG_ADDR: `127.0.0.1:${debugPort}`, ...(readOnly ? { [READONLY_ENV]: READONLY_VALUE } : {}) };
    const declaredRegistry = declaredRunArgs(find(prod.resources, TYPES.deployment, "registry-managed"), ofType(prod.resources, TYPES.secret), { image, overrides, volumeDirs: { data: dataDir } });
    await dockerOk(declaredRegistry.args);
    containers.push(declaredRegistry.name);
    await waitHealthy({ host: `127.0.0.1:${port}`, debugUrl: `http://127.0.0.1:${debugPort}/debug/health`, container: declaredRegistry.name, stop: async () => undefined });
    return { url: `http://127.0.0.1:${port}`, container: declaredRegistry.name };
  }
  const get = (url: string, init: RequestInit = {}) => fetch(url, { ...init, headers: { ...auth, Accept: "application/vnd.docker.distribution.manifest.v2+json" } });

  const blobCount = async () => Number(await dockerOk(["run", "--rm", "-v", `${dataDir}:/d`, image, "sh", "-c", "find /d/docker/registry/v2/blobs -name data | wc -l"]));

  beforeAll(async () => {
    await requireTestEnvironment();
    const registry = { ...(stackConfig("prod").registry as Record<string, unknown>), image: declared, replicas: 1, storage: { type: "filesystem" }, tls: {}, gc: { enabled: true, kubectlImage: KUBECTL_PINNED } };
    prod = await evaluate("prod", { overrides: { registry } });
    auth = basicAuth(String(prod.outputs.registryUsername), String(prod.outputs.registryPassword));
    fs.chownSync(dataDir, 1000, 1000);
    fs.chownSync(windowDir, 1000, 1000);
  }, 300_000);

  afterAll(async () => {
    await Promise.all(containers.map(removeContainer));
    await docker(["run", "--rm", "-v", `${dataDir}:/d`, image, "sh", "-c", "rm -rf /d/*"]);
  });

  test("prune, then the declared collector in the window: blobs freed, kept images pullable throughout, pushes refused", async () => {
    const writable = await startRegistry(false);
    const writer = new FixtureWriter(writable.url, auth);
    for (const v of ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]) await writer.image("team/gc", v, { seed: v, created: new Date("2025-01-01") });
    const prune = await run(process.execPath, [path.join(ROOT, "dist", "prune", "cli.js"), "--registry", writable.url, "--keep", "1", "--yes", "--username", String(prod.outputs.registryUsername)], {
      env: { ...process.env, REGISTRY_PASSWORD: String(prod.outputs.registryPassword) },
    });
    expect(prune.code).toBe(0);
    expect(await tagsOf(writable.url, "team/gc", auth)).toEqual(["1.3.0"]);
    const beforeGc = await blobCount();

    // The window: the registry rolled to read-only on the same volume; then the collector is told to start.
    await removeContainer(writable.container);
    const readOnly = await startRegistry(true);
    expect((await get(`${readOnly.url}/v2/team/gc/blobs/uploads/`, { method: "POST" })).status).toBe(405);
    const collector = declaredRunArgs(collectorOf(find(prod.resources, "kubernetes:batch/v1:CronJob", "-gc")), ofType(prod.resources, TYPES.secret), {
      image,
      volumeDirs: { data: dataDir, window: windowDir },
    });
    await dockerOk(collector.args);
    containers.push(collector.name);
    fs.writeFileSync(path.join(windowDir, "readonly"), "");
    const pulls: number[] = [];
    let state = "true 0";
    for (let i = 0; i < 600 && state.startsWith("true"); i++) {
      pulls.push((await get(`${readOnly.url}/v2/team/gc/manifests/1.3.0`)).status);
      state = await dockerOk(["inspect", "-f", "{{.State.Running}} {{.State.ExitCode}}", collector.name]);
    }
    expect({ state, logs: state === "false 0" ? "" : await docker(["logs", collector.name]) }).toEqual({ state: "false 0", logs: "" });
    expect(fs.readFileSync(path.join(windowDir, "collected"), "utf8").trim()).toBe("0");
    expect(new Set(pulls)).toEqual(new Set([200]));

    const afterGc = await blobCount();
    // Three deleted images: each one config blob and one manifest (stored as a blob); the shared layer stays.
    expect(beforeGc - afterGc).toBe(6);
    expect(await tagsOf(readOnly.url, "team/gc", auth)).toEqual(["1.3.0"]);
    const manifest = await get(`${readOnly.url}/v2/team/gc/manifests/1.3.0`);
    const config = ((await manifest.json()) as { config: { digest: string } }).config.digest;
    expect((await get(`${readOnly.url}/v2/team/gc/blobs/${config}`)).status).toBe(200);

    // Read-only off again: pushes work.
    await removeContainer(readOnly.container);
    const again = await startRegistry(false);
    expect((await get(`${again.url}/v2/team/gc/blobs/uploads/`, { method: "POST" })).status).toBe(202);
  });
});
