/**
 * Prints, for 20 repositories x 55 tags, on Distribution 2.8 and 3.1, what each cleanup a user might pick
 * costs and breaks: the document's clean-registry.sh (run per repository as written), regctl and crane
 * driven as their documentation shows for keep-N (list, sort, delete all but the newest N), and
 * `registry-prune --keep 5 --yes`. For each: wall time, the registry's CPU time, and wrong deletions
 * against the fixture's traps (latest moved to an old release, so two tags share a digest; an index whose
 * platform manifests carry their own tags; a cosign signature of the newest release). Every tool gets its
 * own registry started on a copy of one filled storage folder. Not a test: figures.
 * Needs the integration test environment (scripts/test-env/setup.sh) and `npm run build`.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { mapLimit } from "../prune/http";
import { MANIFEST_ACCEPT } from "../prune/mediaTypes";
import { DOCKER, GO_TOOLS_DIR, REGISTRY_VERSIONS, REPO_ROOT, RegistryVersion } from "../test/integration/docker";
import { RunningRegistry, startPlainRegistry } from "../test/integration/plainRegistry";
import { FixtureWriter, tagsOf } from "../test/integration/registryFixtures";
import { documentScript, PEERS } from "./prunePeers";
import { writeScaleStorage } from "./pruneScale";
import { pruneNodeOptions, RETENTION_DEFAULT_MEMORY_LIMIT } from "../lib/retentionArgs";

const REPOS = Number(process.env.REPOS ?? 20);
const RELEASES = Number(process.env.RELEASES ?? 49);
const KEEP = 5;
/** registry-prune's --concurrency (its default is 8). */
const CONCURRENCY = process.env.CONCURRENCY ?? "8";
/** Only the tools whose name contains this (all by default), to measure one quickly. */
const ONLY = process.env.ONLY ?? "";
/** Storage copies live in memory, as a registry's page cache would hold them: the figures measure requests, not the disk. */
const SCRATCH = fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
const repoNames = Array.from({ length: REPOS }, (_, i) => `bench/app-${String(i).padStart(2, "0")}`);
const versions = Array.from({ length: RELEASES }, (_, i) => `1.${i}.0`);
/** `latest` was moved back to an old release: a tool that deletes by digest takes latest with it. */
const LATEST_ON = "1.3.0";

interface Traps {
  /** Per repository: the newest release (an index), its platform manifests, and its signature tag. */
  index: Map<string, { digest: string; children: string[]; signature: string }>;
  latest: Map<string, string>;
}

/** Fills one registry: the releases, latest on an old one, then 2.0.0 as an index with tagged children and a signature. */
async function fill(url: string): Promise<Traps> {
  const writer = new FixtureWriter(url);
  const traps: Traps = { index: new Map(), latest: new Map() };
  await mapLimit(repoNames, 8, async (repo) => {
    for (const [i, v] of versions.entries()) await writer.image(repo, v, { seed: `${repo}-${v}`, created: new Date(Date.UTC(2025, 0, 1 + i)) });
    traps.latest.set(repo, await writer.retag(repo, LATEST_ON, "latest"));
    const index = await writer.index(repo, "2.0.0", `${repo}-2`, new Date(Date.UTC(2025, 6, 1)));
    await writer.retag(repo, index.children[0], "build-amd64");
    await writer.retag(repo, index.children[1], "build-arm64");
    const signature = `sha256-${index.digest.slice(7)}.sig`;
    await writer.image(repo, signature, { seed: `${repo}-sig`, created: new Date(Date.UTC(2025, 6, 2)) });
    traps.index.set(repo, { digest: index.digest, children: index.children, signature });
  });
  return traps;
}

/** What a correct prune leaves: latest on its image, the newest release (the index, pullable with its platform manifests and signed), and the 4 next. */
async function wronglyDeleted(url: string, traps: Traps): Promise<string[]> {
  const status = async (repo: string, ref: string) => (await fetch(`${url}/v2/${repo}/manifests/${ref}`, { method: "HEAD", headers: { Accept: MANIFEST_ACCEPT } })).status;
  const missing = await mapLimit(repoNames, 8, async (repo) => {
    const index = traps.index.get(repo)!;
    const left = new Set(await tagsOf(url, repo));
    const wrong = ["latest", "2.0.0", ...versions.slice(-(KEEP - 1)), index.signature].filter((t) => !left.has(t)).map((t) => `${repo}:${t.startsWith("sha256-") ? "<signature>" : t}`);
    for (const child of index.children) if ((await status(repo, child)) !== 200) wrong.push(`${repo}@<platform manifest of 2.0.0>`);
    if (left.has("latest") && (await status(repo, traps.latest.get(repo)!)) !== 200) wrong.push(`${repo}@<latest's image>`);
    return wrong;
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

interface Figure {
  tool: string;
  wall: number;
  registryCpu: number;
  wrong: string[];
  /** The tool's own CPU seconds (user + system), where measured. */
  clientCpu?: number;
}

/** Starts a registry of `version` on a copy of the filled storage, runs `task` against it and measures. */
async function measure(version: RegistryVersion, filled: string, traps: Traps, tool: string, task: (host: string) => number | void): Promise<Figure | undefined> {
  if (!tool.includes(ONLY)) return undefined;
  const copy = fs.mkdtempSync(path.join(SCRATCH, "bench-prune-copy-"));
  execFileSync("cp", ["-a", `${filled}/.`, copy]);
  let registry: RunningRegistry | undefined;
  try {
    // Without the per-request access log the figures measure the clients, not logging.
    registry = await startPlainRegistry({ deletes: true, accessLog: false, image: version.image, dataDir: copy });
    const cpuBefore = registryCpuSeconds(registry.container);
    const start = process.hrtime.bigint();
    const clientCpu = task(registry.host) ?? undefined;
    const wall = seconds(start);
    const registryCpu = registryCpuSeconds(registry.container) - cpuBefore;
    return { tool, wall, registryCpu, clientCpu, wrong: await wronglyDeleted(`http://${registry.host}`, traps) };
  } finally {
    await registry?.stop();
    spawnSync(DOCKER, ["run", "--rm", "-v", `${copy}:/d`, version.image, "sh", "-c", "rm -rf /d/*"]);
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

function runOrThrow(what: string, file: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(file, args, { env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${what} failed: ${result.stderr || result.stdout}`);
}

async function benchVersion(version: RegistryVersion, filled: string, traps: Traps, work: string): Promise<(Figure | undefined)[]> {
  const scriptFile = path.join(work, "clean-registry.sh");
  fs.writeFileSync(scriptFile, documentScript(), { mode: 0o755 });
  const figures = [
    await measure(version, filled, traps, "document's clean-registry.sh", (host) => {
      for (const repo of repoNames) runOrThrow(`clean-registry.sh on ${repo}`, "bash", [scriptFile], { ...process.env, BENCH_REGISTRY: host, BENCH_REPO: repo });
    }),
  ];
  for (const peer of PEERS) {
    figures.push(
      await measure(version, filled, traps, peer.name, (host) => {
        const env = { ...process.env, HOME: fs.mkdtempSync(path.join(work, `${peer.binary}-home-`)), TOOL: path.join(GO_TOOLS_DIR, peer.binary), HOST: host, KEEP: String(KEEP) };
        for (const repo of repoNames) runOrThrow(`${peer.name} on ${repo}`, "bash", ["-c", peer.script], { ...env, REPO: repo });
      }),
    );
  }
  figures.push(await measure(version, filled, traps, `registry-prune --keep ${KEEP} --yes`, (host) => runPrune(host)));
  return figures;
}

/** registry-prune --keep KEEP --yes against `host`; returns its own CPU seconds (bash's `time`: user and system). */
function runPrune(host: string): number {
  // PRUNE_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles it.
  const cli = [process.execPath, ...(process.env.PRUNE_NODE_FLAGS?.split(" ").filter(Boolean) ?? []), path.join(REPO_ROOT, "dist", "prune", "cli.js"), "--registry", `http://${host}`, "--keep", String(KEEP), "--yes", "--concurrency", CONCURRENCY];
  const timed = spawnSync("bash", ["-c", 'TIMEFORMAT="%U %S"; time "$@" >/dev/null', "bash", ...cli], { encoding: "utf8" });
  if (timed.status !== 0) throw new Error(`registry-prune failed: ${timed.stderr}`);
  const [user, system] = timed.stderr.trim().split("\n").pop()!.split(" ").map(Number);
  return user + system;
}

function report(version: RegistryVersion, measured: (Figure | undefined)[]): void {
  const figures = measured.filter((f): f is Figure => f !== undefined);
  const ours = measured[measured.length - 1];
  const cores = os.cpus().length;
  const sample = (list: string[]) => (list.length ? `  e.g. ${list.slice(0, 3).join(", ")}` : "");
  console.log(`Distribution ${version.version}:`);
  for (const f of figures) {
    const client = f.clientCpu !== undefined ? `   its own CPU ${f.clientCpu.toFixed(2)} s` : "";
    console.log(`  ${f.tool.padEnd(36)} ${f.wall.toFixed(2).padStart(7)} s   registry CPU ${f.registryCpu.toFixed(2).padStart(6)} s   wrongly deleted: ${String(f.wrong.length).padStart(3)}${sample(f.wrong)}${client}`);
  }
  if (!ours) return;
  const floor = ours.registryCpu / cores;
  console.log(
    `  registry floor ${floor.toFixed(2)} s (the registry CPU registry-prune needed, over ${cores} cores): registry-prune at ${(ours.wall / floor).toFixed(2)}x the floor (target <= 1.3x, and 0 wrong deletions)`,
  );
  if (ours.clientCpu !== undefined) {
    // Client and registry share the cores: no run can beat their CPU together, spread over all of them.
    const machineFloor = (ours.registryCpu + ours.clientCpu) / cores;
    console.log(`  machine floor ${machineFloor.toFixed(2)} s (registry CPU + registry-prune's own, over ${cores} cores): registry-prune at ${(ours.wall / machineFloor).toFixed(2)}x it`);
  }
  if (figures.length < 2) return;
  const fastestPeer = figures.slice(0, -1).reduce((a, b) => (a.wall < b.wall ? a : b));
  console.log(`  registry-prune vs the fastest other (${fastestPeer.tool}): ${(fastestPeer.wall / ours.wall).toFixed(1)}x faster`);
}

/** The scale case: SCALE_REPOS x SCALE_TAGS (200 x 500) on Distribution 3.1; SCALE=0 skips it, SCALE=only runs it alone. */
const SCALE = process.env.SCALE ?? "1";
const SCALE_REPOS = Number(process.env.SCALE_REPOS ?? 200);
const SCALE_TAGS = Number(process.env.SCALE_TAGS ?? 500);

async function scaleCase(baselineSecondsPerTag: number | undefined): Promise<void> {
  const version = REGISTRY_VERSIONS.find((v) => v.version.startsWith("3."));
  if (!version) throw new Error("no Distribution 3.x image in REGISTRY_VERSIONS");
  const dir = fs.mkdtempSync(path.join(SCRATCH, "bench-prune-scale-"));
  let registry: RunningRegistry | undefined;
  try {
    const writing = process.hrtime.bigint();
    const fixture = writeScaleStorage(dir, SCALE_REPOS, SCALE_TAGS);
    execFileSync("chown", ["-R", "1000:1000", dir]);
    const tags = SCALE_REPOS * SCALE_TAGS;
    console.log(`scale case: ${SCALE_REPOS} repositories x ${SCALE_TAGS} tags = ${tags} tags, each on its own manifest, Distribution ${version.version} (storage written in ${seconds(writing).toFixed(1)} s, not measured)`);
    registry = await startPlainRegistry({ deletes: true, accessLog: false, image: version.image, dataDir: dir });
    const cpuBefore = registryCpuSeconds(registry.container);
    const out = path.join(dir, "prune.out");
    const start = process.hrtime.bigint();
    // GNU time's %M: the peak resident set of registry-prune's process, in KiB.
    const cli = [process.execPath, path.join(REPO_ROOT, "dist", "prune", "cli.js"), "--registry", `http://${registry.host}`, "--keep", String(KEEP), "--yes", "--concurrency", CONCURRENCY];
    // Node's heap capped as the retention CronJob caps it in its default memory limit (lib/retentionArgs.ts).
    const heap = pruneNodeOptions(RETENTION_DEFAULT_MEMORY_LIMIT);
    const timed = spawnSync("bash", ["-c", '/usr/bin/time -f "%M %U %S" "$@" >"$OUT"', "bash", ...cli], { encoding: "utf8", env: { ...process.env, OUT: out, NODE_OPTIONS: heap } });
    const wall = seconds(start);
    const registryCpu = registryCpuSeconds(registry.container) - cpuBefore;
    if (timed.status !== 0) throw new Error(`registry-prune failed: ${timed.stderr}`);
    const [maxRssKib, user, system] = timed.stderr.trim().split("\n").pop()!.split(" ").map(Number);
    const summary = fs.readFileSync(out, "utf8").split("\n").find((l) => l.startsWith("registry-prune summary:")) ?? "(no summary line)";
    const left = await mapLimit(fixture.repos, 8, async (repo) => (await tagsOf(`http://${registry!.host}`, repo)).join(","));
    const expected = fixture.newest(KEEP).sort().join(",");
    const wrong = left.filter((l) => l !== expected).length;
    const perTag = wall / tags;
    console.log(`  registry-prune --keep ${KEEP} --yes: ${wall.toFixed(1)} s wall (${(perTag * 1000).toFixed(2)} ms per tag), registry CPU ${registryCpu.toFixed(1)} s, its own CPU ${(user + system).toFixed(1)} s, peak RSS ${(maxRssKib / 1024).toFixed(0)} MB with ${heap} (target < 300 MB)`);
    console.log(`  ${summary}`);
    console.log(`  repositories not left with exactly their ${KEEP} newest tags: ${wrong}`);
    if (baselineSecondsPerTag !== undefined) {
      console.log(`  per tag: ${(perTag / baselineSecondsPerTag).toFixed(2)}x the ${REPOS} x ${RELEASES + 5} fixture's ${(baselineSecondsPerTag * 1000).toFixed(2)} ms on the same version (target <= 1.2x)`);
    }
  } finally {
    await registry?.stop();
    spawnSync(DOCKER, ["run", "--rm", "-v", `${dir}:/d`, version.image, "sh", "-c", "rm -rf /d/*"]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  for (const peer of PEERS) {
    if (!fs.existsSync(path.join(GO_TOOLS_DIR, peer.binary))) throw new Error(`${peer.binary} is missing from ${GO_TOOLS_DIR}: run scripts/test-env/setup.sh`);
  }
  const work = fs.mkdtempSync(path.join(SCRATCH, "bench-prune-"));
  const filled = path.join(work, "filled");
  fs.mkdirSync(filled);
  fs.chownSync(filled, 1000, 1000);
  try {
    const filler = await startPlainRegistry({ deletes: true, accessLog: false, dataDir: filled });
    const traps = await fill(`http://${filler.host}`).finally(() => filler.stop());
    console.log(
      `registry prune benchmark: ${REPOS} repositories x ${RELEASES + 5} tags (keep ${KEEP}; latest moved to ${LATEST_ON}; 2.0.0 an index with tagged platform manifests and a signature), access log off`,
    );
    let baseline: number | undefined;
    for (const version of REGISTRY_VERSIONS) {
      if (SCALE === "only" && !version.version.startsWith("3.")) continue;
      const measured = SCALE === "only" ? [await measure(version, filled, traps, `registry-prune --keep ${KEEP} --yes`, (host) => runPrune(host))] : await benchVersion(version, filled, traps, work);
      report(version, measured);
      const ours = measured[measured.length - 1];
      if (version.version.startsWith("3.") && ours) baseline = ours.wall / (REPOS * (RELEASES + 5));
    }
    if (SCALE !== "0") await scaleCase(baseline);
  } finally {
    spawnSync(DOCKER, ["run", "--rm", "-v", `${work}:/d`, REGISTRY_VERSIONS[0].image, "sh", "-c", "rm -rf /d/filled"]);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
