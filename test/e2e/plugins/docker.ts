/**
 * Double of the docker provider for `Image`, `Tag` and `RegistryImage`, doing the real work through the
 * Docker Engine, with the real provider's rules:
 * - Image: Check adds `build.contextDigest` (the context, honouring .dockerignore, and the Dockerfile) and
 *   the engine's platform; any input change but registry credentials updates; Create/Update build with
 *   BuildKit and push, with the credentials in a private Docker config; Delete leaves the image.
 * - Tag: `docker tag`; every input forces a replacement; Delete removes nothing.
 * - RegistryImage: pushes the local image, then reads the tag's digest from the registry itself, at
 *   `authConfig.address` taken as https:// unless it says http://, and fails as the real one does without
 *   an authConfig (this double has no provider-level registryAuth); `name` and `triggers` force a
 *   replacement; Delete deletes the manifest unless `keepRemotely`.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { changedKeys, Props, reveal, runProcess, sdkVersion, serve, typeOf } from "./wire";

const DOCKER = fs.existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker";
const PLATFORM = `linux/${({ x64: "amd64", arm64: "arm64" } as Record<string, string>)[os.arch()] ?? os.arch()}`;
const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

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

// ---- RegistryImage
/** `host[:port]/repo/path:tag` → its parts. */
function parseName(name: string): { registry: string; repository: string; tag: string } {
  const match = /^([^/]+)\/(.+?)(?::([^/:]+))?$/.exec(name);
  if (!match) throw new Error(`image name ${name} has no registry host`);
  return { registry: match[1], repository: match[2], tag: match[3] ?? "latest" };
}

const normalizeAddress = (address: string) => (/^https?:\/\//.test(address) ? address : `https://${address}`).replace(/\/+$/, "");

function authFor(op: string, plain: Props): { address: string; username?: string; password?: string } {
  if (!plain.authConfig) {
    throw new Error(`resourceDockerRegistryImage${op}: Unable to get authConfig for registry: no auth config found for registry ${parseName(plain.name).registry} in auth configs: map[]`);
  }
  return { address: normalizeAddress(plain.authConfig.address), username: plain.authConfig.username, password: plain.authConfig.password };
}

async function registryRequest(method: string, url: string, auth: { username?: string; password?: string }): Promise<Response> {
  const headers: Record<string, string> = { Accept: MANIFEST_TYPES };
  if (auth.username) headers.Authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ""}`).toString("base64")}`;
  try {
    return await fetch(url, { method, headers });
  } catch (error) {
    const cause = (error as { cause?: { message?: string; code?: string } }).cause;
    throw new Error(`${method} ${url}: ${cause?.message ?? cause?.code ?? String(error)}`);
  }
}

async function registryDigest(op: string, plain: Props): Promise<string> {
  const auth = authFor(op, plain);
  const { repository, tag } = parseName(plain.name);
  const response = await registryRequest("HEAD", `${auth.address}/v2/${repository}/manifests/${tag}`, auth).catch((error) => {
    throw new Error(`Got error getting registry image digest inside resourceDockerRegistryImage${op}: unable to get digest: ${error.message}`);
  });
  const digest = response.headers.get("docker-content-digest");
  if (!response.ok || !digest) throw new Error(`Got error getting registry image digest inside resourceDockerRegistryImage${op}: ${response.status} from the registry`);
  return digest;
}

serve({
  version: sdkVersion("docker"),
  async check(urn, _olds, news) {
    if (typeOf(urn) !== "docker:index/image:Image") return { inputs: news };
    const build = { ...(news.build ?? {}) };
    build.platform ??= PLATFORM;
    const { context, dockerfile } = reveal<Props>(build);
    if (typeof context === "string" && typeof dockerfile === "string") {
      if (!fs.existsSync(dockerfile)) return { inputs: news, failures: [{ property: "build.dockerfile", reason: `could not open dockerfile at absolute path ${dockerfile}` }] };
      build.contextDigest = contextDigest(context, dockerfile);
    }
    return { inputs: { ...news, build } };
  },
  async diff(_id, urn, olds, news) {
    switch (typeOf(urn)) {
      case "docker:index/image:Image": {
        // Registry credentials may rotate without a rebuild; only the server counts.
        const strip = (p: Props) => ({ ...p, registry: { server: reveal(p.registry ?? {}).server } });
        const changed = changedKeys(strip(olds), strip(news), IMAGE_INPUTS);
        return { changes: changed.length > 0 };
      }
      case "docker:index/tag:Tag": {
        const replaces = changedKeys(olds, news, ["sourceImage", "targetImage", "tagTriggers"]);
        return { changes: replaces.length > 0, replaces };
      }
      default: {
        const replaces = changedKeys(olds, news, ["name", "triggers"]);
        const updates = changedKeys(olds, news, ["authConfig", "keepRemotely", "insecureSkipVerify"]);
        return { changes: replaces.length + updates.length > 0, replaces };
      }
    }
  },
  async create(urn, inputs) {
    const plain = reveal<Props>(inputs);
    switch (typeOf(urn)) {
      case "docker:index/image:Image": {
        const outs = await buildAndPush(inputs);
        return { id: outs.repoDigest || plain.imageName, outs };
      }
      case "docker:index/tag:Tag": {
        await docker(["tag", plain.sourceImage, plain.targetImage]);
        const sourceImageId = await docker(["image", "inspect", "--format", "{{.Id}}", plain.sourceImage]);
        return { id: `${plain.sourceImage}.${plain.targetImage}`, outs: { ...inputs, sourceImageId } };
      }
      default: {
        const auth = authFor("Create", plain);
        await withLogin(parseName(plain.name).registry, auth.username, auth.password, (config) => docker(["push", plain.name], { config }));
        const sha256Digest = await registryDigest("Create", plain);
        return { id: sha256Digest, outs: { ...inputs, sha256Digest } };
      }
    }
  },
  async update(_id, urn, _olds, news) {
    if (typeOf(urn) === "docker:index/image:Image") return { outs: await buildAndPush(news) };
    if (typeOf(urn) === "docker:index/registryImage:RegistryImage") return { outs: { ...news, sha256Digest: await registryDigest("Update", reveal(news)) } };
    return { outs: news };
  },
  async delete(_id, urn, props) {
    if (typeOf(urn) !== "docker:index/registryImage:RegistryImage") return;
    const plain = reveal<Props>(props);
    if (plain.keepRemotely) return;
    const auth = authFor("Delete", plain);
    const { repository } = parseName(plain.name);
    const response = await registryRequest("DELETE", `${auth.address}/v2/${repository}/manifests/${plain.sha256Digest}`, auth);
    if (![200, 202, 404].includes(response.status)) throw new Error(`Got error deleting registry image: ${response.status}`);
  },
});
