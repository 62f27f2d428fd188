/**
 * registry-prune --count-bytes against the real registry, on both versions: the bytes it says the next
 * garbage collection frees are the bytes the registry's own `garbage-collect` then removes from storage
 * (a layer every image shares stays; a deleted index goes with its platform manifests).
 */
import { prune } from "./pruneCli";
import { FixtureWriter, tagsOf } from "./registryFixtures";
import { RunningRegistry, startPlainRegistry } from "./plainRegistry";
import { dockerOk, REGISTRY_VERSIONS, requireTestEnvironment, tempDir } from "./testEnv";
import * as fs from "fs";

const CONFIG_PATH: Record<string, string> = { "2.8": "/etc/docker/registry/config.yml", "3.1": "/etc/distribution/config.yml" };

describe.each(REGISTRY_VERSIONS)("registry-prune --count-bytes on Distribution $version", (version) => {
  let registry: RunningRegistry | undefined;
  let dataDir: string;
  /** The bytes of every blob in storage (each blob's `data` file). */
  const storedBytes = async () =>
    (await dockerOk(["run", "--rm", "-v", `${dataDir}:/d`, "--entrypoint", "sh", version.image, "-c", "find /d/docker/registry/v2/blobs -name data -exec stat -c %s {} +"]))
      .trim()
      .split("\n")
      .filter(Boolean)
      .reduce((sum, n) => sum + Number(n), 0);

  beforeAll(async () => {
    await requireTestEnvironment();
    dataDir = tempDir(`bytes-${version.version}`);
    fs.chownSync(dataDir, 1000, 1000);
    registry = await startPlainRegistry({ deletes: true, image: version.image, dataDir });
    const writer = new FixtureWriter(`http://${registry.host}`);
    for (const [i, tag] of ["1.0.0", "1.1.0", "1.2.0", "1.3.0"].entries()) await writer.image("team/web", tag, { seed: `web-${tag}`, created: new Date(2025, 0, i + 1) });
    await writer.index("team/web", "0.9.0", "web-old-index", new Date(2024, 0, 1));
    // The same image under a second repository: its blobs stay while that copy is kept.
    for (const [i, tag] of ["1.0.0", "1.1.0"].entries()) await writer.image("team/api", tag, { seed: `web-${tag}`, created: new Date(2025, 0, i + 1) });
  }, 300_000);

  afterAll(async () => {
    await registry?.stop();
    await dockerOk(["run", "--rm", "-v", `${dataDir}:/d`, "--entrypoint", "sh", version.image, "-c", "rm -rf /d/*"]);
  });

  test("says what garbage-collect then frees, to the byte", async () => {
    const ran = await prune(["--registry", `http://${registry!.host}`, "--keep", "2", "--count-bytes", "--yes", "--json"]);
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: "" });
    const said = JSON.parse(ran.stdout).summary.bytesFreedAfterGc;
    expect(await tagsOf(`http://${registry!.host}`, "team/web")).toEqual(["1.2.0", "1.3.0"]);
    await registry!.stop();
    registry = undefined;
    const before = await storedBytes();
    await dockerOk(["run", "--rm", "-v", `${dataDir}:/var/lib/registry`, "--entrypoint", "sh", version.image, "-c", `registry garbage-collect ${CONFIG_PATH[version.version]}`]);
    const freed = before - (await storedBytes());
    expect(freed).toBeGreaterThan(0);
    expect(said).toBe(freed);
  });
});
