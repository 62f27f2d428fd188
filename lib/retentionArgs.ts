import type { RetentionSettings } from "../config/registrySchema";

/** Where the retention pod mounts the registry's CA (with TLS on). */
export const RETENTION_CA_DIR = "/etc/registry-ca";
/** The pod's namespace and Job name, from the downward API: the kubelet expands them in the args. */
export const TURN_ENV = { namespace: "POD_NAMESPACE", job: "JOB_NAME" } as const;

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
export function retentionArgs(s: Pick<RetentionSettings, "keep" | "protect" | "protectDigests">, t: RetentionTarget): string[] {
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
