/**
 * Garbage collection with the real registry: deleting manifests frees nothing until `garbage-collect`
 * runs; the window runs it with the registry read-only (the same env override the CronJob sets), so a
 * push during the window is refused while pulls go on.
 */
import * as path from "path";
import { FixtureWriter, tagsOf } from "./registryFixtures";
import { READONLY_ENV, READONLY_VALUE } from "../../lib/gcScript";
import { ROOT } from "../harness";
import { RunningRegistry, startPlainRegistry } from "./plainRegistry";
import { docker, dockerOk, requireTestEnvironment, run, tempDir } from "./testEnv";

const blobCount = async (registry: RunningRegistry) =>
  Number(await dockerOk(["exec", registry.container, "sh", "-c", "find /var/lib/registry/docker/registry/v2/blobs -name data | wc -l"]));

describe("garbage collection in a read-only window", () => {
  let dataDir: string;
  let registry: RunningRegistry | undefined;

  beforeAll(async () => {
    await requireTestEnvironment();
    dataDir = tempDir("registry-data");
  });

  afterAll(async () => {
    await registry?.stop();
    await docker(["run", "--rm", "-v", `${dataDir}:/d`, "local/registry:2.8", "sh", "-c", "rm -rf /d/*"]);
  });

  test("prune, then collect read-only: blobs freed, kept images intact, pushes refused during the window", async () => {
    registry = await startPlainRegistry({ deletes: true, dataDir });
    const url = `http://${registry.host}`;
    const writer = new FixtureWriter(url);
    for (const v of ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]) await writer.image("team/gc", v, { seed: v, created: new Date("2025-01-01") });
    const prune = await run(process.execPath, [path.join(ROOT, "dist", "prune", "cli.js"), "--registry", url, "--keep", "1", "--yes"]);
    expect(prune.code).toBe(0);
    expect(await tagsOf(url, "team/gc")).toEqual(["1.3.0"]);
    const beforeGc = await blobCount(registry);
    await registry.stop();

    registry = await startPlainRegistry({ deletes: true, dataDir, env: { [READONLY_ENV]: READONLY_VALUE } });
    const readOnlyUrl = `http://${registry.host}`;
    const upload = await fetch(`${readOnlyUrl}/v2/team/gc/blobs/uploads/`, { method: "POST" });
    expect(upload.status).toBe(405);
    const gc = await docker(["exec", registry.container, "registry", "garbage-collect", "/etc/docker/registry/config.yml"]);
    expect(gc.code).toBe(0);
    const afterGc = await blobCount(registry);
    expect(afterGc).toBeLessThan(beforeGc);
    // Three deleted images: each one config blob and one manifest (stored as a blob); the shared layer stays.
    expect(beforeGc - afterGc).toBe(6);
    expect(await tagsOf(readOnlyUrl, "team/gc")).toEqual(["1.3.0"]);
    const manifest = await fetch(`${readOnlyUrl}/v2/team/gc/manifests/1.3.0`, { headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json" } });
    expect(manifest.status).toBe(200);
    const config = ((await manifest.json()) as { config: { digest: string } }).config.digest;
    expect((await fetch(`${readOnlyUrl}/v2/team/gc/blobs/${config}`)).status).toBe(200);
    await registry.stop();

    registry = await startPlainRegistry({ deletes: true, dataDir });
    expect((await fetch(`http://${registry.host}/v2/team/gc/blobs/uploads/`, { method: "POST" })).status).toBe(202);
  });
});
