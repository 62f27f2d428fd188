import { Evaluation, find, ofType, TYPES } from "../harness";
import { declaredRunArgs, dockerOk, eventually, freePort, httpStatus, REGISTRY_TEST_IMAGE, removeContainer, TEST_LABEL } from "./testEnv";

export interface RunningRegistry {
  /** 127.0.0.1:<port>, standing in for the declared host. */
  host: string;
  debugUrl: string;
  container: string;
  stop(): Promise<void>;
}

/**
 * Runs the registry container that `evaluation` declares, exactly as declared but for its listen addresses
 * (free ports on 127.0.0.1) and any `overrides` (such as the S3 endpoint).
 */
export async function startDeclaredRegistry(evaluation: Evaluation, overrides: Record<string, string> = {}): Promise<RunningRegistry> {
  const deployment = find(evaluation.resources, TYPES.deployment, "registry-managed");
  const [port, debugPort] = [await freePort(), await freePort()];
  const host = `127.0.0.1:${port}`;
  const debugUrl = `http://127.0.0.1:${debugPort}/debug/health`;
  const declared = declaredRunArgs(deployment, ofType(evaluation.resources, TYPES.secret), {
    image: REGISTRY_TEST_IMAGE,
    overrides: { REGISTRY_HTTP_ADDR: host, REGISTRY_HTTP_DEBUG_ADDR: `127.0.0.1:${debugPort}`, ...overrides },
  });
  await dockerOk(declared.args);
  const running = { host, debugUrl, container: declared.name, stop: () => removeContainer(declared.name) };
  await waitHealthy(running);
  return running;
}

export async function waitHealthy(registry: RunningRegistry): Promise<void> {
  await eventually("the registry's /debug/health", async () => ((await httpStatus(registry.debugUrl)) === 200 ? true : undefined));
}

/** A registry with only the given settings (no auth unless `htpasswdFile`), for the prune tests and benchmarks. */
export async function startPlainRegistry(options: { deletes: boolean; htpasswdFile?: string }): Promise<RunningRegistry> {
  const [port, debugPort] = [await freePort(), await freePort()];
  const name = `${TEST_LABEL}-registry-${port}`;
  const env = {
    REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
    REGISTRY_HTTP_DEBUG_ADDR: `127.0.0.1:${debugPort}`,
    REGISTRY_STORAGE_DELETE_ENABLED: String(options.deletes),
    REGISTRY_LOG_LEVEL: "warn",
    ...(options.htpasswdFile ? { REGISTRY_AUTH: "htpasswd", REGISTRY_AUTH_HTPASSWD_REALM: "test", REGISTRY_AUTH_HTPASSWD_PATH: "/auth/htpasswd" } : {}),
  };
  const args = ["run", "-d", "--name", name, "--label", TEST_LABEL, "--network", "host", "--tmpfs", "/var/lib/registry:mode=1777"];
  for (const [k, v] of Object.entries(env)) args.push("-e", `${k}=${v}`);
  if (options.htpasswdFile) args.push("-v", `${options.htpasswdFile}:/auth/htpasswd:ro`);
  await dockerOk([...args, REGISTRY_TEST_IMAGE]);
  const running = { host: `127.0.0.1:${port}`, debugUrl: `http://127.0.0.1:${debugPort}/debug/health`, container: name, stop: () => removeContainer(name) };
  await waitHealthy(running);
  return running;
}
