/**
 * Double of the docker provider for `Image`, the one docker resource the program uses (moving tags are
 * pushed through the daemon by a command), doing the real work through the Docker Engine, with the real
 * provider's rules:
 * - Image: Check adds `build.contextDigest` (the context, honouring .dockerignore, and the Dockerfile) and,
 *   when `build.platform` is unset, the engine's platform with the real provider's note about it; any
 *   input change but registry credentials updates; Create/Update build with BuildKit and push, with the
 *   credentials in a private Docker config; Delete leaves the image.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { enginePlatform } from "../../../lib/platform";
import { changedKeys, logToEngine, Props, reveal, runProcess, sdkVersion, serve, typeOf } from "./wire";

const DOCKER = fs.existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker";
/** What the real provider fills in when `build.platform` is unset: linux/<GOARCH> of the machine. */
const PLATFORM = enginePlatform();
async function docker(args: string[], options: { config?: string; input?: string } = {}): Promise<string> {
  const env = { ...process.env, DOCKER_BUILDKIT: "1", ...(options.config ? { DOCKER_CONFIG: options.config } : {}) };
  const ran = await runProcess(DOCKER, args, { env, input: options.input });
  if (ran.code !== 0) throw new Error(`docker ${args[0]} failed (exit ${ran.code}): ${(ran.stderr || ran.stdout).trim()}`);
  return ran.stdout.trim();
}

/** Runs `work` with a Docker config of its own, logged in to `server` when there is a username. */
async function withLogin<T>(server: string, username: string | undefined, password: string | undefined, work: (config: string) => Promise<T>): Promise<T> {
  const config = fs.mkdtempSync(path.join(os.tmpdir(), "docker-double-"));
  try {
    if (username) await docker(["login", server, "--username", username, "--password-stdin"], { config, input: password ?? "" });
    return await work(config);
  } finally {
    fs.rmSync(config, { recursive: true, force: true });
  }
}

// ---- build context digest (.dockerignore semantics: last matching pattern wins; a pattern matching a
// parent folder matches everything under it)
const globToRegExp = (glob: string) =>
  new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*/g, "\u0000").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]").replace(/\u0000/g, ".*")}$`);

function ignoreRules(context: string): { exclude: boolean; pattern: RegExp }[] {
  const file = path.join(context, ".dockerignore");
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const exclude = !line.startsWith("!");
      const glob = path.posix.normalize(line.replace(/^!/, "")).replace(/^\/+|\/+$/g, "");
      return { exclude, pattern: globToRegExp(glob) };
    });
}

function ignored(rel: string, rules: { exclude: boolean; pattern: RegExp }[]): boolean {
  const prefixes = rel.split("/").map((_, i, parts) => parts.slice(0, i + 1).join("/"));
  let result = false;
  for (const rule of rules) if (prefixes.some((p) => rule.pattern.test(p))) result = rule.exclude;
  return result;
}

function contextDigest(context: string, dockerfile: string): string {
  const rules = ignoreRules(context);
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(context, full).split(path.sep).join("/");
      if (entry.isDirectory()) walk(full);
      else if (!ignored(rel, rules)) hash.update(`${rel}\0${fs.statSync(full).mode & 0o777}\0`).update(fs.readFileSync(full));
    }
  };
  walk(context);
  hash.update("Dockerfile\0").update(fs.readFileSync(dockerfile));
  return hash.digest("hex");
}

// ---- Image
const IMAGE_INPUTS = ["imageName", "build", "registry", "skipPush"];

async function buildAndPush(inputs: Props): Promise<Props> {
  const plain = reveal<Props>(inputs);
  const build = plain.build ?? {};
  const args = ["build", "--file", build.dockerfile, "--tag", plain.imageName, "--platform", build.platform];
  for (const [key, value] of Object.entries<string>(build.args ?? {})) args.push("--build-arg", `${key}=${value}`);
  if (build.target) args.push("--target", build.target);
  if (build.network) args.push("--network", build.network);
  await docker([...args, build.context]);
  const registry = plain.registry ?? {};
  if (!plain.skipPush) await withLogin(registry.server, registry.username, registry.password, (config) => docker(["push", plain.imageName], { config }));
  const repo = plain.imageName.replace(/:[^/:]+$/, "");
  const digests: string[] = JSON.parse(await docker(["image", "inspect", "--format", "{{json .RepoDigests}}", plain.imageName]));
  const repoDigest = plain.skipPush ? "" : (digests.find((d) => d.startsWith(`${repo}@`)) ?? "");
  if (!plain.skipPush && !repoDigest) throw new Error(`pushed ${plain.imageName} but the engine reports no digest for ${repo}`);
  return {
    ...inputs,
    imageName: plain.imageName,
    repoDigest,
    registryServer: registry.server ?? "",
    baseImageName: plain.imageName,
    context: build.context,
    dockerfile: build.dockerfile,
    platform: build.platform,
  };
}

/** The program uses no other docker resource; one that appears is a mistake to report. */
function only(urn: string): void {
  if (typeOf(urn) !== "docker:index/image:Image") throw new Error(`the docker double does not implement ${typeOf(urn)}`);
}

serve({
  version: sdkVersion("docker"),
  async check(urn, _olds, news) {
    if (typeOf(urn) !== "docker:index/image:Image") return { inputs: news };
    const build = { ...(news.build ?? {}) };
    if (build.platform === undefined) {
      build.platform = PLATFORM;
      // The real provider's note, word for word (provider/image.go, Check), at its severity.
      await logToEngine("info", urn, `Building your image for ${PLATFORM} architecture.\nTo ensure you are building for the correct platform, consider explicitly setting the \`platform\` field on ImageBuildOptions.`);
    }
    const { context, dockerfile } = reveal<Props>(build);
    if (typeof context === "string" && typeof dockerfile === "string") {
      if (!fs.existsSync(dockerfile)) return { inputs: news, failures: [{ property: "build.dockerfile", reason: `could not open dockerfile at absolute path ${dockerfile}` }] };
      build.contextDigest = contextDigest(context, dockerfile);
    }
    return { inputs: { ...news, build } };
  },
  async diff(_id, urn, olds, news) {
    only(urn);
    // Registry credentials may rotate without a rebuild; only the server counts.
    const strip = (p: Props) => ({ ...p, registry: { server: reveal(p.registry ?? {}).server } });
    return { changes: changedKeys(strip(olds), strip(news), IMAGE_INPUTS).length > 0 };
  },
  async create(urn, inputs) {
    only(urn);
    const outs = await buildAndPush(inputs);
    return { id: outs.repoDigest || reveal<Props>(inputs).imageName, outs };
  },
  async update(_id, urn, _olds, news) {
    only(urn);
    return { outs: await buildAndPush(news) };
  },
  // Delete leaves the image, as the real provider does.
});
