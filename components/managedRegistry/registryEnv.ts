import type { ManagedRegistrySettings } from "./settings";
import { READONLY_ANNOTATION, READONLY_ENV } from "../../lib/gcScript";
import { registryMajorVersion } from "../../lib/imageRef";

export const REGISTRY_PORT = 5000;
/** The debug server carries /debug/health and /metrics, and needs no credentials, so probes use it. */
export const REGISTRY_DEBUG_PORT = 5001;
export const HTPASSWD_DIR = "/auth";
/** Where the `kubernetes.io/tls` Secret is mounted, with TLS on. */
export const TLS_DIR = "/certs";
export const HTPASSWD_KEY = "htpasswd";
export const DATA_DIR = "/var/lib/registry";
/** In-flight requests get this long after SIGTERM; the pod's grace period covers it and the preStop pause. */
export const DRAIN_SECONDS = 20;

/** Keys of the Secret that the registry's env reads through secretKeyRef. */
export const ENV_SECRET_KEYS = {
  httpSecret: "http-secret",
  s3AccessKey: "s3-access-key",
  s3SecretKey: "s3-secret-key",
} as const;

/** A container env entry; `N` is the Secret name's type (a string, or a Pulumi Output of one). */
export interface EnvVar<N = string> {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: N; key: string } } | { fieldRef: { fieldPath: string } };
}

const plain = (name: string, value: string | number | boolean): EnvVar<never> => ({ name, value: String(value) });
const fromSecret = <N>(name: string, secretName: N, key: string): EnvVar<N> => ({
  name,
  valueFrom: { secretKeyRef: { name: secretName, key } },
});

function storageEnv<N>(settings: ManagedRegistrySettings, secretName: N): EnvVar<N>[] {
  const storage = settings.storage;
  if (storage.type === "filesystem") {
    return [plain("REGISTRY_STORAGE", "filesystem"), plain("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", DATA_DIR)];
  }
  const major = registryMajorVersion(settings.image);
  const env: EnvVar<N>[] = [
    plain("REGISTRY_STORAGE", "s3"),
    plain("REGISTRY_STORAGE_S3_REGION", storage.region),
    plain("REGISTRY_STORAGE_S3_BUCKET", storage.bucket),
    plain("REGISTRY_STORAGE_S3_SECURE", storage.secure),
    fromSecret("REGISTRY_STORAGE_S3_ACCESSKEY", secretName, ENV_SECRET_KEYS.s3AccessKey),
    fromSecret("REGISTRY_STORAGE_S3_SECRETKEY", secretName, ENV_SECRET_KEYS.s3SecretKey),
    // The registry serves blobs itself instead of redirecting to a presigned S3 URL: its clients (the node's
    // container runtime, docker and Trivy on the deploy host) reach it through the NodePort and cannot
    // reach MinIO's cluster address, and Trivy refuses a redirect from localhost to another host.
    plain("REGISTRY_STORAGE_REDIRECT_DISABLE", true),
  ];
  // 3.x always signs with v4 and dropped the option.
  if (major < 3) env.push(plain("REGISTRY_STORAGE_S3_V4AUTH", storage.v4auth));
  if (storage.regionEndpoint) {
    env.push(plain("REGISTRY_STORAGE_S3_REGIONENDPOINT", storage.regionEndpoint));
    // 2.8 switches to path-style addressing by itself when an endpoint is set; 3.x must be told.
    if (major >= 3) env.push(plain("REGISTRY_STORAGE_S3_FORCEPATHSTYLE", true));
  }
  if (storage.rootDirectory) env.push(plain("REGISTRY_STORAGE_S3_ROOTDIRECTORY", storage.rootDirectory));
  return env;
}

/** The registry port's name: it says what the port speaks. */
export const registryPortName = (settings: Pick<ManagedRegistrySettings, "tls">) => (settings.tls.enabled ? "https" : "http");

/** With TLS on the registry port serves HTTPS only; the debug port (probes, metrics) stays plain HTTP. */
function tlsEnv(settings: ManagedRegistrySettings): EnvVar<never>[] {
  if (!settings.tls.enabled) return [];
  return [plain("REGISTRY_HTTP_TLS_CERTIFICATE", `${TLS_DIR}/tls.crt`), plain("REGISTRY_HTTP_TLS_KEY", `${TLS_DIR}/tls.key`)];
}

function authEnv(settings: ManagedRegistrySettings): EnvVar<never>[] {
  if (!settings.auth.enabled) return [];
  return [
    plain("REGISTRY_AUTH", "htpasswd"),
    plain("REGISTRY_AUTH_HTPASSWD_REALM", settings.auth.realm),
    plain("REGISTRY_AUTH_HTPASSWD_PATH", `${HTPASSWD_DIR}/${HTPASSWD_KEY}`),
  ];
}

/** The collector needs the storage settings alone: no auth, no HTTP secret. */
/** The storage settings the collector needs; not the read-only switch, which only the serving pods read. */
export const isStorageEnv = (entry: EnvVar<unknown>) => entry.name.startsWith("REGISTRY_STORAGE") && entry.name !== READONLY_ENV;

/**
 * The registry's whole configuration as environment overrides of the image's default config.yml.
 * Credentials appear only as secretKeyRef; the HTTP secret is shared so that an upload started on one
 * replica can finish on another.
 */
export function registryEnv<N>(settings: ManagedRegistrySettings, secretName: N): EnvVar<N>[] {
  return [
    plain("REGISTRY_HTTP_ADDR", `:${REGISTRY_PORT}`),
    fromSecret("REGISTRY_HTTP_SECRET", secretName, ENV_SECRET_KEYS.httpSecret),
    plain("REGISTRY_HTTP_DEBUG_ADDR", `:${REGISTRY_DEBUG_PORT}`),
    ...(settings.metrics
      ? [plain("REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED", true), plain("REGISTRY_HTTP_DEBUG_PROMETHEUS_PATH", "/metrics")]
      : []),
    plain("REGISTRY_LOG_LEVEL", "info"),
    // On SIGTERM the registry stops taking connections and lets the ones in flight finish (within the
    // pod's grace period), so a rollout drops no pull.
    plain("REGISTRY_HTTP_DRAINTIMEOUT", `${DRAIN_SECONDS}s`),
    plain("REGISTRY_STORAGE_DELETE_ENABLED", true),
    // The GC switch, read from the pod template's annotation (declared there, writable, so that
    // `pulumi up --refresh` gives the registry back if a GC window left it read-only).
    { name: READONLY_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${READONLY_ANNOTATION}']` } } },
    ...tlsEnv(settings),
    ...storageEnv(settings, secretName),
    ...authEnv(settings),
  ];
}
