/**
 * Docker and loopback helpers, free of the Pulumi test harness so benchmarks can use them too.
 * The real software the integration tests run: Docker Engine (host networking, loopback only), the
 * Distribution registry in a locally built image, moto for S3, skopeo. `scripts/test-env/setup.sh`
 * prepares them; every process or container started here is stopped by its own id.
 */
import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

/** The repository, from the sources (ts-jest) or from dist/ (the benchmarks). */
export const REPO_ROOT =
  [path.resolve(__dirname, "..", ".."), path.resolve(__dirname, "..", "..", "..")].find((dir) => fs.existsSync(path.join(dir, "Pulumi.yaml"))) ?? process.cwd();
export const SETUP_COMMAND = "scripts/test-env/setup.sh";
/** The Node image setup.sh builds from the Node the tests run on, tagged with its major version. */
export const NODE_BASE_IMAGE = `local/node:${process.versions.node.split(".")[0]}`;
export const REGISTRY_TEST_IMAGE = "local/registry:2.8";

/** A Distribution version the registry tests run against, and the image that setup.sh builds for it. */
export interface RegistryVersion {
  version: "2.8" | "3.1";
  image: string;
  /** Deletes a tag alone (`DELETE /v2/<name>/manifests/<tag>`). */
  tagDelete: boolean;
  /** How a prod stack names this version (pinned, as prod requires; the local build is what runs). */
  declared: string;
}

/** Debian's 2.8.2, and 3.1.2 built from the Go module proxy: every registry suite runs against both. */
export const REGISTRY_VERSIONS: RegistryVersion[] = [
  { version: "2.8", image: REGISTRY_TEST_IMAGE, tagDelete: false, declared: `registry:2.8.3@sha256:${"2".repeat(64)}` },
  { version: "3.1", image: "local/registry:3", tagDelete: true, declared: `registry:3.1.2@sha256:${"3".repeat(64)}` },
];
export const TEST_LABEL = "microk8s-pipeline-test";
/** Distribution 3, regctl, crane and Trivy, built by scripts/test-env/build-go-tools.sh (via setup.sh). */
export const GO_TOOLS_DIR = process.env.GO_TOOLS_DIR ?? path.join(os.homedir(), ".cache", "microk8s-pipeline", "go-tools");
/** Debian's client matches its engine and has BuildKit built in; another docker CLI may come first on PATH. */
export const DOCKER = fs.existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell; never throws, so callers assert on the exit code. */
export function run(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { env: options.env ?? process.env, cwd: options.cwd, timeout: options.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === "number" ? Number((error as { code: number }).code) : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export const docker = (args: string[], input?: string) => run(DOCKER, args, { input, env: { ...process.env, DOCKER_BUILDKIT: "1" } });

/** Like `docker`, but fails with the command's output when it does not exit 0. */
export async function dockerOk(args: string[], input?: string): Promise<string> {
  const result = await docker(args, input);
  if (result.code !== 0) throw new Error(`docker ${args.join(" ")} exited ${result.code}:\n${result.stderr || result.stdout}`);
  return result.stdout.trim();
}

/** Fails every integration suite with the command to run when the machine is not prepared. */
export async function requireTestEnvironment(): Promise<void> {
  const problems: string[] = [];
  if ((await docker(["info"])).code !== 0) problems.push("Docker Engine is not answering");
  else {
    for (const image of [NODE_BASE_IMAGE, ...REGISTRY_VERSIONS.map((v) => v.image)]) {
      if ((await docker(["image", "inspect", image])).code !== 0) problems.push(`image ${image} is missing`);
    }
  }
  for (const tool of ["moto_server", "skopeo"]) {
    if ((await run("sh", ["-c", `command -v ${tool}`])).code !== 0) problems.push(`${tool} is not installed`);
  }
  if (problems.length > 0) {
    throw new Error(`integration test environment not ready (${problems.join("; ")}): run ${SETUP_COMMAND}`);
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `server` on a free port of 127.0.0.1 and gives its base URL, `http://127.0.0.1:<port>`. */
export async function listenOnLoopback(server: net.Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

/** Polls `probe` until it returns a value, at most `attempts` times; the error names what was awaited. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, attempts = 120, intervalMs = 250): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${what} did not happen after ${attempts} attempts${last ? `: ${String(last)}` : ""}`);
}

export async function httpStatus(url: string, init: RequestInit = {}): Promise<number> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  await response.arrayBuffer();
  return response.status;
}

export const basicAuth = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

/** moto's S3 server on 127.0.0.1, stopped by its pid. */
export class MotoServer {
  private constructor(private readonly child: ChildProcess, readonly url: string) {}

  static async start(): Promise<MotoServer> {
    const port = await freePort();
    const env = { ...process.env };
    delete env.AWS_CA_BUNDLE;
    const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { env, stdio: "ignore" });
    const server = new MotoServer(child, `http://127.0.0.1:${port}`);
    await eventually("moto to answer", async () => ((await httpStatus(`${server.url}/`)) < 500 ? true : undefined));
    return server;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill("SIGTERM");
    await exited;
  }
}

export async function removeContainer(name: string): Promise<void> {
  await docker(["rm", "-f", name]);
}
