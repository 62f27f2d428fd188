/**
 * The real software the integration tests run: Docker Engine (host networking, loopback only), the
 * Distribution registry in a locally built image, moto for S3, skopeo. `scripts/test-env/setup.sh`
 * prepares them; every process or container started here is stopped by its own id.
 */
import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { k8sName, Recorded, TYPES } from "../harness";

export const SETUP_COMMAND = "scripts/test-env/setup.sh";
export const NODE_BASE_IMAGE = "local/node:20";
export const REGISTRY_TEST_IMAGE = "local/registry:2.8";
export const TEST_LABEL = "microk8s-pipeline-test";
/** Debian's client matches its engine and has BuildKit built in; another docker CLI may come first on PATH. */
export const DOCKER = fs.existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell; never throws, so callers assert on the exit code. */
export function run(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { env: options.env ?? process.env, timeout: options.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024 },
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
    for (const image of [NODE_BASE_IMAGE, REGISTRY_TEST_IMAGE]) {
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

/** Resolves a declared container's env: plain values as given, secretKeyRef from the declared Secrets. */
export function resolveEnv(container: Record<string, any>, secrets: Recorded[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) env[entry.name] = String(entry.value);
    else if (entry.valueFrom?.secretKeyRef) {
      const ref = entry.valueFrom.secretKeyRef;
      const secret = secrets.find((s) => s.type === TYPES.secret && k8sName(s) === ref.name);
      const value = secret?.inputs.stringData?.[ref.key];
      if (value === undefined) throw new Error(`env ${entry.name}: no declared Secret ${ref.name} with key ${ref.key}`);
      env[entry.name] = String(value);
    }
  }
  return env;
}

export interface DeclaredContainer {
  /** The container name in Docker. */
  name: string;
  args: string[];
  /** Host folders standing in for the declared PVC volumes, by volume name. */
  volumeDirs: Record<string, string>;
}

/**
 * `docker run` arguments that reproduce a declared Deployment's container: resolved env (with `overrides`
 * applied last), Secret volumes written to files at their mount paths, PVCs as host folders, emptyDirs as
 * tmpfs, and the security context as Docker flags. Host networking; `image` replaces the declared image.
 */
export function declaredRunArgs(
  deployment: Recorded,
  secrets: Recorded[],
  options: { image: string; overrides?: Record<string, string>; volumeDirs?: Record<string, string> },
): DeclaredContainer {
  const pod = deployment.inputs.spec.template.spec;
  const container = pod.containers[0];
  const name = `${TEST_LABEL}-${deployment.name}-${Math.random().toString(16).slice(2, 8)}`;
  const args = ["run", "-d", "--name", name, "--label", TEST_LABEL, "--network", "host"];
  const env = { ...resolveEnv(container, secrets), ...(options.overrides ?? {}) };
  for (const [key, value] of Object.entries(env)) args.push("-e", `${key}=${value}`);

  const sc = { ...pod.securityContext, ...container.securityContext };
  if (sc.runAsUser !== undefined) args.push("--user", `${sc.runAsUser}:${sc.runAsGroup ?? sc.runAsUser}`);
  if (sc.readOnlyRootFilesystem) args.push("--read-only");
  for (const cap of sc.capabilities?.drop ?? []) args.push("--cap-drop", cap);
  if (sc.allowPrivilegeEscalation === false) args.push("--security-opt", "no-new-privileges");

  const volumeDirs: Record<string, string> = { ...(options.volumeDirs ?? {}) };
  for (const mount of container.volumeMounts ?? []) {
    const volume = (pod.volumes ?? []).find((v: any) => v.name === mount.name);
    if (volume?.emptyDir) {
      args.push("--tmpfs", `${mount.mountPath}:mode=1777`);
    } else if (volume?.secret) {
      const secret = secrets.find((s) => s.type === TYPES.secret && k8sName(s) === volume.secret.secretName);
      if (!secret) throw new Error(`volume ${mount.name}: no declared Secret ${volume.secret.secretName}`);
      const dir = tempDir("secret-volume");
      for (const [key, value] of Object.entries(secret.inputs.stringData ?? {})) fs.writeFileSync(path.join(dir, key), String(value), { mode: 0o444 });
      fs.chmodSync(dir, 0o755);
      args.push("-v", `${dir}:${mount.mountPath}:ro`);
    } else if (volume?.persistentVolumeClaim) {
      volumeDirs[mount.name] ??= tempDir("pvc");
      fs.chownSync(volumeDirs[mount.name], sc.runAsUser ?? 0, sc.runAsGroup ?? 0);
      args.push("-v", `${volumeDirs[mount.name]}:${mount.mountPath}`);
    } else {
      throw new Error(`volume ${mount.name}: unsupported kind in ${JSON.stringify(volume)}`);
    }
  }
  args.push(options.image, ...(container.command ?? []), ...(container.args ?? []));
  return { name, args, volumeDirs };
}

export async function removeContainer(name: string): Promise<void> {
  await docker(["rm", "-f", name]);
}
