import { dockerOk, eventually, freePort, httpStatus, REGISTRY_TEST_IMAGE, removeContainer, TEST_LABEL } from "./docker";

export interface RunningRegistry {
  /** 127.0.0.1:<port>. */
  host: string;
  debugUrl: string;
  container: string;
  stop(): Promise<void>;
}

/**
 * Until the debug port reports healthy and the registry port answers: Distribution starts its debug
 * server first, so under load /debug/health can be up before the registry's own listener is.
 */
export async function waitHealthy(registry: RunningRegistry): Promise<void> {
  await eventually("the registry's /debug/health", async () => ((await httpStatus(registry.debugUrl)) === 200 ? true : undefined));
  // Any HTTP answer (401 with auth, 400 from a TLS port) means it listens; a refused connection throws.
  await eventually(`the registry's port ${registry.host}`, async () => ((await httpStatus(`http://${registry.host}/v2/`)) > 0 ? true : undefined));
}

/** A registry with only the given settings (no auth unless `htpasswdFile`), for the prune tests and benchmarks. */
export interface PlainRegistryOptions {
  deletes: boolean;
  htpasswdFile?: string;
  accessLog?: boolean;
  /** A host folder for the blobs (kept across restarts); a tmpfs otherwise. */
  dataDir?: string;
  env?: Record<string, string>;
  /** The registry image (a `REGISTRY_VERSIONS` entry's); 2.8 by default. */
  image?: string;
}

export async function startPlainRegistry(options: PlainRegistryOptions): Promise<RunningRegistry> {
  const [port, debugPort] = [await freePort(), await freePort()];
  const name = `${TEST_LABEL}-registry-${port}`;
  const env = {
    REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
    REGISTRY_HTTP_DEBUG_ADDR: `127.0.0.1:${debugPort}`,
    REGISTRY_STORAGE_DELETE_ENABLED: String(options.deletes),
    REGISTRY_LOG_LEVEL: "warn",
    ...(options.accessLog === false ? { REGISTRY_LOG_ACCESSLOG_DISABLED: "true" } : {}),
    ...(options.htpasswdFile ? { REGISTRY_AUTH: "htpasswd", REGISTRY_AUTH_HTPASSWD_REALM: "test", REGISTRY_AUTH_HTPASSWD_PATH: "/auth/htpasswd" } : {}),
    ...(options.env ?? {}),
  };
  const storage = options.dataDir ? ["-v", `${options.dataDir}:/var/lib/registry`] : ["--tmpfs", "/var/lib/registry:mode=1777"];
  const args = ["run", "-d", "--name", name, "--label", TEST_LABEL, "--network", "host", ...storage];
  for (const [k, v] of Object.entries(env)) args.push("-e", `${k}=${v}`);
  if (options.htpasswdFile) args.push("-v", `${options.htpasswdFile}:/auth/htpasswd:ro`);
  await dockerOk([...args, options.image ?? REGISTRY_TEST_IMAGE]);
  const running = { host: `127.0.0.1:${port}`, debugUrl: `http://127.0.0.1:${debugPort}/debug/health`, container: name, stop: () => removeContainer(name) };
  await waitHealthy(running);
  return running;
}
