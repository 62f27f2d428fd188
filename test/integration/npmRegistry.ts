/**
 * A read-only npm registry on 127.0.0.1 for `docker build`: it serves exactly the packages an app's
 * lockfile pins, from tarballs that scripts/test-env/setup.sh fetched, so the build's `npm ci` never
 * leaves loopback. The build receives it as the `npmrc` BuildKit secret, as a private registry would be.
 */
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { listenOnLoopback, REPO_ROOT, SETUP_COMMAND, tempDir } from "./docker";

export const SAMPLE_APP_DIR = path.join(REPO_ROOT, "app");
export const NPM_TARBALLS = path.join(REPO_ROOT, ".test-env", "npm");

interface LockedPackage {
  name: string;
  version: string;
  integrity: string;
  dependencies: Record<string, string>;
  file: string;
}

/** `@scope/name` → `scope-name-1.2.3.tgz`, the name `npm pack` gives. */
export const tarballName = (name: string, version: string) => `${name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`;

export function lockedPackages(lockfile: string): LockedPackage[] {
  const lock = JSON.parse(fs.readFileSync(lockfile, "utf8"));
  return Object.entries<any>(lock.packages ?? {})
    .filter(([where]) => where !== "")
    .map(([where, entry]) => {
      const name = where.replace(/^.*node_modules\//, "");
      return { name, version: entry.version, integrity: entry.integrity, dependencies: entry.dependencies ?? {}, file: tarballName(name, entry.version) };
    });
}

/** The registry document npm reads for one package: its versions, each with tarball URL and integrity. */
function packument(name: string, versions: LockedPackage[], baseUrl: string): object {
  return {
    name,
    "dist-tags": { latest: versions[versions.length - 1].version },
    versions: Object.fromEntries(
      versions.map((p) => [p.version, { name, version: p.version, dependencies: p.dependencies, dist: { integrity: p.integrity, tarball: `${baseUrl}/-/${p.file}` } }]),
    ),
  };
}

export interface LocalNpmRegistry {
  url: string;
  /** An .npmrc that points npm at this registry: pass it as `--secret id=npmrc,src=<file>`. */
  npmrc: string;
  stop(): Promise<void>;
}

export const SAMPLE_APP_LOCKFILE = path.join(SAMPLE_APP_DIR, "package-lock.json");
/** The registry-prune image's own lockfile (prune/Dockerfile). */
export const PRUNE_LOCKFILE = path.join(REPO_ROOT, "prune", "package-lock.json");

/** Serves every package the given lockfiles pin (a package both pin at one version, once). */
export async function startLocalNpmRegistry(lockfiles: string[] = [SAMPLE_APP_LOCKFILE, PRUNE_LOCKFILE]): Promise<LocalNpmRegistry> {
  const packages = [...new Map(lockfiles.flatMap(lockedPackages).map((p) => [p.file, p])).values()];
  const missing = packages.filter((p) => !fs.existsSync(path.join(NPM_TARBALLS, p.file)));
  if (missing.length > 0) throw new Error(`npm tarballs missing in ${NPM_TARBALLS} (${missing.map((p) => p.file).join(", ")}): run ${SETUP_COMMAND}`);
  const byName = new Map<string, LockedPackage[]>();
  for (const p of packages) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const files = new Set(packages.map((p) => p.file));
  let baseUrl = "";

  const server = http.createServer((req, res) => {
    const urlPath = decodeURIComponent((req.url ?? "/").split("?")[0]);
    const tarball = /^\/-\/([^/]+\.tgz)$/.exec(urlPath)?.[1];
    if (req.method === "GET" && tarball && files.has(tarball)) {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      fs.createReadStream(path.join(NPM_TARBALLS, tarball)).pipe(res);
      return;
    }
    const versions = byName.get(urlPath.slice(1));
    if (req.method === "GET" && versions) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(packument(urlPath.slice(1), versions, baseUrl)));
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "not found" }));
  });
  baseUrl = await listenOnLoopback(server);
  const npmrc = path.join(tempDir("npmrc"), "npmrc");
  fs.writeFileSync(npmrc, `registry=${baseUrl}/\n`, { mode: 0o600 });
  const stop = () =>
    new Promise<void>((resolve) => server.close(() => resolve())).finally(() => fs.rmSync(path.dirname(npmrc), { recursive: true, force: true }));
  return { url: baseUrl, npmrc, stop };
}

/** Runs `build` with a loopback npm registry, giving it the `docker build` flags that hand it over. */
export async function withLocalNpm<T>(build: (secretFlags: string[]) => Promise<T>): Promise<T> {
  const registry = await startLocalNpmRegistry();
  try {
    return await build(["--secret", `id=npmrc,src=${registry.npmrc}`]);
  } finally {
    await registry.stop();
  }
}
