/**
 * The registry-prune image as the program declares it (registry.retention): a real `docker build` of
 * prune/Dockerfile from the declared context and args (the base image swapped for the local one, npm from
 * the loopback registry), then the image run as the CronJob's container would run it (uid 1000, read-only
 * root, no capabilities) against the real registry.
 */
import { evaluate, find, stackConfig, TYPES } from "../harness";
import { startLocalNpmRegistry } from "./npmRegistry";
import { FixtureWriter, tagsOf } from "./registryFixtures";
import { RunningRegistry, startPlainRegistry } from "./plainRegistry";
import { docker, dockerOk, NODE_BASE_IMAGE, removeContainer, requireTestEnvironment } from "./testEnv";

const LOCAL_TAG = "local/registry-prune:int-test";

describe("the registry-prune image", () => {
  let registry: RunningRegistry;
  let declaredContainer: any;

  beforeAll(async () => {
    await requireTestEnvironment();
    const registrySettings = { ...(structuredClone(stackConfig("prod").registry) as Record<string, any>), retention: { enabled: true } };
    const prod = await evaluate("prod", { overrides: { registry: registrySettings } });
    const image = find(prod.resources, TYPES.image, "-prune-image").inputs;
    declaredContainer = find(prod.resources, "kubernetes:batch/v1:CronJob", "-retention").inputs.spec.jobTemplate.spec.template.spec;
    const npm = await startLocalNpmRegistry();
    try {
      const args = Object.entries({ ...image.build.args, BASE_IMAGE: NODE_BASE_IMAGE, NPM_CONFIG_REGISTRY: `${npm.url}/` }).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
      await dockerOk(["build", "--quiet", "--network", "host", "--file", image.build.dockerfile, ...args, "--tag", LOCAL_TAG, image.build.context]);
    } finally {
      await npm.stop();
    }
    registry = await startPlainRegistry({ deletes: true });
  }, 600_000);

  afterAll(async () => {
    await registry?.stop();
    await docker(["image", "rm", "-f", LOCAL_TAG]);
  });

  test("runs as uid 1000, with registry-prune as its entrypoint, and keeps no npm registry address in its history", async () => {
    const config = JSON.parse(await dockerOk(["image", "inspect", "-f", "{{json .Config}}", LOCAL_TAG]));
    expect({ user: config.User, entrypoint: config.Entrypoint }).toEqual({ user: "1000:1000", entrypoint: ["node", "/app/dist/prune/cli.js"] });
    expect(declaredContainer.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    const history = await dockerOk(["history", "--no-trunc", "--format", "{{.CreatedBy}}", LOCAL_TAG]);
    expect(history).not.toMatch(/127\.0\.0\.1|NPM_CONFIG_REGISTRY/);
  });

  test("as the CronJob's container (uid 1000, read-only root, no capabilities), it prunes the real registry and ends with the summary line", async () => {
    const writer = new FixtureWriter(`http://${registry.host}`);
    for (const [i, tag] of ["1.0.0", "1.1.0", "1.2.0"].entries()) await writer.image("team/app", tag, { seed: tag, created: new Date(2025, 0, i + 1) });
    const name = `prune-image-${process.pid}`;
    const [container] = declaredContainer.containers;
    const ran = await docker([
      "run", "--rm", "--name", name, "--network", "host", "--user", "1000:1000", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
      "--memory", container.resources.limits.memory.replace("Mi", "m"),
      LOCAL_TAG, "--registry", `http://${registry.host}`, "--keep", "1", "--yes",
    ]);
    await removeContainer(name);
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: "" });
    expect(ran.stdout).toContain("registry-prune summary: tags kept: 1, tags deleted: 2, digests deleted: 2");
    expect(await tagsOf(`http://${registry.host}`, "team/app")).toEqual(["1.2.0"]);
  });
});
