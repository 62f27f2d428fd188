/**
 * Prints, for 20 repositories x 50 tags on two identical registries, the wall time of the document's
 * clean-registry.sh (extracted from the source chapter, run per repository as written) and of
 * `registry-prune --keep 5 --yes`, their ratio, and the tags each deleted wrongly. Not a test: figures.
 * Needs the integration test environment (scripts/test-env/setup.sh) and `npm run build`.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { mapLimit } from "../prune/http";
import { DOCKER, REPO_ROOT } from "../test/integration/docker";
import { startPlainRegistry } from "../test/integration/plainRegistry";
import { FixtureWriter, tagsOf } from "../test/integration/registryFixtures";

const REPOS = Number(process.env.REPOS ?? 20);
const TAGS = Number(process.env.TAGS ?? 50);
const KEEP = 5;
/** registry-prune's --concurrency (its default is 8). */
const CONCURRENCY = process.env.CONCURRENCY ?? "8";
const SEED_DOC = process.env.SEED_DOC ?? path.resolve(REPO_ROOT, "..", "shared", "seed", "registry-prive.md");
const repoNames = Array.from({ length: REPOS }, (_, i) => `bench/app-${String(i).padStart(2, "0")}`);
const versions = Array.from({ length: TAGS - 1 }, (_, i) => `1.${i}.0`);
/** `latest` was moved back to an old release: the document's script deletes it with that digest. */
const LATEST_ON = "1.3.0";

/** The document's cleanup script, with only its two hard-coded settings read from the environment. */
function documentScript(): string {
  const doc = fs.readFileSync(SEED_DOC, "utf8");
  const block = /```bash\n(#!\/bin\/bash\n# scripts\/clean-registry\.sh[\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error(`clean-registry.sh not found in ${SEED_DOC}`);
  const script = block.replace('REGISTRY="localhost:32000"', 'REGISTRY="$BENCH_REGISTRY"').replace('REPO="mon-app"', 'REPO="$BENCH_REPO"');
  if (!script.includes("$BENCH_REGISTRY") || !script.includes("$BENCH_REPO")) throw new Error("the script's REGISTRY/REPO lines changed");
  return script;
}

async function fill(url: string): Promise<void> {
  const writer = new FixtureWriter(url);
  await mapLimit(repoNames, 8, async (repo) => {
    for (const [i, v] of versions.entries()) {
      await writer.image(repo, v, { seed: `${repo}-${v}`, created: new Date(Date.UTC(2025, 0, 1 + i)) });
    }
    await writer.retag(repo, LATEST_ON, "latest");
  });
}

/**
 * What a correct prune keeps: the 5 newest releases and latest (whose image stays with it, although the old
 * tag sharing its digest, LATEST_ON, is removed alone).
 */
const shouldSurvive = ["latest", ...versions.slice(-KEEP)];

async function wronglyDeleted(url: string): Promise<string[]> {
  const missing = await mapLimit(repoNames, 8, async (repo) => {
    const left = new Set(await tagsOf(url, repo));
    return shouldSurvive.filter((t) => !left.has(t)).map((t) => `${repo}:${t}`);
  });
  return missing.flat();
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/**
 * CPU seconds the registry process has used so far (user + system, from /proc): what bounds any client
 * once the registry is saturated. The registry is the container's only process.
 */
function registryCpuSeconds(container: string): number {
  const pid = execFileSync(DOCKER, ["inspect", "-f", "{{.State.Pid}}", container], { encoding: "utf8" }).trim();
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Runs `task`, giving its wall time and the registry's CPU time over it. */
function measured(container: string, task: () => void): { wall: number; registryCpu: number } {
  const cpuBefore = registryCpuSeconds(container);
  const start = process.hrtime.bigint();
  task();
  return { wall: seconds(start), registryCpu: registryCpuSeconds(container) - cpuBefore };
}

async function main(): Promise<void> {
  // Both registries alike; without the per-request access log, the figures measure the clients, not logging.
  const settings = { deletes: true, accessLog: false };
  const [forScript, forPrune] = await Promise.all([startPlainRegistry(settings), startPlainRegistry(settings)]);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-prune-"));
  try {
    await Promise.all([fill(`http://${forScript.host}`), fill(`http://${forPrune.host}`)]);
    const scriptFile = path.join(work, "clean-registry.sh");
    fs.writeFileSync(scriptFile, documentScript(), { mode: 0o755 });

    const script = measured(forScript.container, () => {
      for (const repo of repoNames) {
        const runScript = spawnSync("bash", [scriptFile], { env: { ...process.env, BENCH_REGISTRY: forScript.host, BENCH_REPO: repo }, encoding: "utf8" });
        if (runScript.status !== 0) throw new Error(`document script failed on ${repo}: ${runScript.stderr}`);
      }
    });
    const prune = measured(forPrune.container, () => {
      const cli = path.join(REPO_ROOT, "dist", "prune", "cli.js");
      execFileSync(process.execPath, [cli, "--registry", `http://${forPrune.host}`, "--keep", String(KEEP), "--yes", "--concurrency", CONCURRENCY], { stdio: "ignore" });
    });

    const [scriptWrong, pruneWrong] = await Promise.all([wronglyDeleted(`http://${forScript.host}`), wronglyDeleted(`http://${forPrune.host}`)]);
    const sample = (list: string[]) => (list.length ? ` e.g. ${list.slice(0, 4).join(", ")}` : "");
    const cores = os.cpus().length;
    const floor = prune.registryCpu / cores;
    console.log(`registry prune benchmark: ${REPOS} repositories x ${TAGS} tags (keep ${KEEP}; latest moved to ${LATEST_ON}), Distribution 2.8, access log off on both`);
    console.log(`  document's clean-registry.sh, per repository  ${script.wall.toFixed(2)} s   registry CPU ${script.registryCpu.toFixed(2)} s   wrongly deleted: ${scriptWrong.length}${sample(scriptWrong)}`);
    console.log(`  registry-prune --keep ${KEEP} --yes (conc. ${CONCURRENCY.padEnd(2)})   ${prune.wall.toFixed(2)} s   registry CPU ${prune.registryCpu.toFixed(2)} s   wrongly deleted: ${pruneWrong.length}${sample(pruneWrong)}`);
    console.log(`  speed-up                                      ${(script.wall / prune.wall).toFixed(1)}x   (target >= 10x, and zero wrong deletions)`);
    console.log(
      `  registry floor: the registry spent ${prune.registryCpu.toFixed(2)} CPU-s answering registry-prune; on ${cores} cores no client can finish ` +
        `these requests in under ${floor.toFixed(2)} s, so ${(script.wall / floor).toFixed(1)}x is the most any client can reach on this machine`,
    );
  } finally {
    await Promise.all([forScript.stop(), forPrune.stop()]);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
