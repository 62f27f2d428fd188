import { parseBytes } from "./quantity";

/** Where the retention pod mounts the registry's CA (with TLS on). */
export const RETENTION_CA_DIR = "/etc/registry-ca";
/** The pod's namespace and Job name, from the downward API: the kubelet expands them in the args. */
export const TURN_ENV = { namespace: "POD_NAMESPACE", job: "JOB_NAME" } as const;

/** What registry-prune keeps (registry.retention's keep, protect and protectDigests). */
export interface RetentionPolicy {
  keep: number;
  protect: string[];
  protectDigests: string[];
}

export interface RetentionTarget {
  /** The registry Service's in-cluster name and namespace, and its port. */
  serviceName: string;
  namespace: string;
  port: number;
  /** registry.host, as Docker on the deploying machine and the workloads name it. */
  host: string;
  nodePort: number;
  tls: boolean;
  /** Absent for a registry without auth. */
  username?: string;
}

/** The Service's four in-cluster names, with and without the port, then registry.host and the NodePort on localhost. */
export function inUseHosts(t: RetentionTarget): string[] {
  const names = [t.serviceName, `${t.serviceName}.${t.namespace}`, `${t.serviceName}.${t.namespace}.svc`, `${t.serviceName}.${t.namespace}.svc.cluster.local`];
  return [...new Set([...names.flatMap((n) => [`${n}:${t.port}`, n]), t.host, `localhost:${t.nodePort}`])];
}

export const retentionRegistryUrl = (t: RetentionTarget) => `${t.tls ? "https" : "http"}://${t.serviceName}.${t.namespace}.svc.cluster.local:${t.port}`;

/**
 * registry-prune's arguments in the CronJob: the in-cluster URL, in-use protection always on (every name
 * the cluster's image references may give this registry), its turn among the registry's maintenance Jobs,
 * and --yes. The password comes from REGISTRY_PASSWORD (a secretKeyRef), never an argument.
 */
export function retentionArgs(s: RetentionPolicy, t: RetentionTarget): string[] {
  const url = retentionRegistryUrl(t);
  const own = new URL(url).host;
  return [
    "--registry",
    url,
    ...(t.username ? ["--username", t.username] : []),
    ...(t.tls ? ["--ca-file", `${RETENTION_CA_DIR}/ca.crt`] : []),
    "--keep",
    String(s.keep),
    ...s.protect.flatMap((tag) => ["--protect", tag]),
    ...s.protectDigests.flatMap((digest) => ["--protect-digest", digest]),
    "--in-use-from-cluster",
    ...inUseHosts(t)
      .filter((h) => h !== own)
      .flatMap((h) => ["--in-use-host", h]),
    "--wait-turn",
    `$(${TURN_ENV.namespace})/$(${TURN_ENV.job})`,
    // The summary line then says how many bytes the next garbage collection frees.
    "--count-bytes",
    "--yes",
  ];
}

/** The retention container's default memory limit (registry.retention.resources.limits.memory). */
export const RETENTION_DEFAULT_MEMORY_LIMIT = "384Mi";
/** The share of the container's memory limit given to Node's heap; the rest is code, buffers and sockets. */
const HEAP_SHARE = 0.5;

/**
 * `--max-old-space-size` for registry-prune in a container of `memoryLimit`: Node sizes its heap from the
 * machine's memory, not the container's, so without it a large run grows past the limit and is OOM-killed
 * instead of collecting its garbage.
 */
export function pruneNodeOptions(memoryLimit: string): string {
  const bytes = parseBytes(memoryLimit);
  if (bytes === undefined) throw new Error(`registry.retention.resources.limits.memory: ${JSON.stringify(memoryLimit)} is not a quantity`);
  return `--max-old-space-size=${Math.max(64, Math.floor((bytes / 2 ** 20) * HEAP_SHARE))}`;
}
