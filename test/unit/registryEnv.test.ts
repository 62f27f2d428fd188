import { parseConfig } from "../../config/parse";
import type { ManagedSettings } from "../../config/registrySchema";
import { parseBytes, parseMillicores } from "../../lib/quantity";
import { registryEnv } from "../../components/managedRegistry/registryEnv";

function managed(registry: Record<string, unknown>): ManagedSettings {
  // The env rendering does not depend on the environment; dev spares the prod digest rule.
  const { registry: settings } = parseConfig("dev", { environment: "dev", registry: { mode: "managed", ...registry } });
  if (settings.mode !== "managed") throw new Error(settings.mode);
  return settings;
}
const byName = (env: ReturnType<typeof registryEnv>) => Object.fromEntries(env.map((e) => [e.name, e.value ?? e.valueFrom]));

describe("registryEnv", () => {
  test("filesystem with auth: listen, debug, delete, writable (declared, for the GC window to flip), htpasswd, and only the HTTP secret from the Secret", () => {
    expect(byName(registryEnv(managed({}), "reg-env"))).toEqual({
      REGISTRY_HTTP_ADDR: ":5000",
      REGISTRY_HTTP_SECRET: { secretKeyRef: { name: "reg-env", key: "http-secret" } },
      REGISTRY_HTTP_DEBUG_ADDR: ":5001",
      REGISTRY_HTTP_DRAINTIMEOUT: "20s",
      REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED: "true",
      REGISTRY_HTTP_DEBUG_PROMETHEUS_PATH: "/metrics",
      REGISTRY_LOG_LEVEL: "info",
      REGISTRY_STORAGE_DELETE_ENABLED: "true",
      REGISTRY_STORAGE: "filesystem",
      REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: "/var/lib/registry",
      REGISTRY_STORAGE_MAINTENANCE_READONLY: { fieldRef: { fieldPath: "metadata.annotations['microk8s-pipeline/registry-readonly']" } },
      REGISTRY_AUTH: "htpasswd",
      REGISTRY_AUTH_HTPASSWD_REALM: "Registry Realm",
      REGISTRY_AUTH_HTPASSWD_PATH: "/auth/htpasswd",
    });
  });

  test("s3 on 2.8: keys by secretKeyRef, v4auth, no forcepathstyle, blobs served by the registry (no redirect to MinIO)", () => {
    const env = byName(registryEnv(managed({ storage: { type: "s3", bucket: "bucket1", regionEndpoint: "http://m.example.invalid:9000" } }), "s"));
    expect(env).toMatchObject({
      REGISTRY_STORAGE: "s3",
      REGISTRY_STORAGE_S3_BUCKET: "bucket1",
      REGISTRY_STORAGE_S3_V4AUTH: "true",
      REGISTRY_STORAGE_S3_ACCESSKEY: { secretKeyRef: { name: "s", key: "s3-access-key" } },
      REGISTRY_STORAGE_S3_SECRETKEY: { secretKeyRef: { name: "s", key: "s3-secret-key" } },
      REGISTRY_STORAGE_REDIRECT_DISABLE: "true",
    });
    expect(env.REGISTRY_STORAGE_S3_FORCEPATHSTYLE).toBeUndefined();
    expect(env.REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY).toBeUndefined();
  });

  test("no auth and no metrics leave those variables out", () => {
    const env = byName(registryEnv(managed({ auth: { enabled: false }, metrics: false }), "s"));
    expect(Object.keys(env).filter((k) => k.startsWith("REGISTRY_AUTH") || k.includes("PROMETHEUS"))).toEqual([]);
  });
});

describe("quantities", () => {
  test.each([
    ["128Mi", 128 * 2 ** 20],
    ["1Gi", 2 ** 30],
    ["500M", 500e6],
    ["1.5Gi", 1.5 * 2 ** 30],
    ["128MB", undefined],
    ["Mi", undefined],
  ])("bytes of %s", (q, bytes) => expect(parseBytes(q)).toBe(bytes));

  test.each([
    ["100m", 100],
    ["0.5", 500],
    ["2", 2000],
    ["1.2345", undefined],
    ["100Mi", undefined],
  ])("millicores of %s", (q, m) => expect(parseMillicores(q)).toBe(m));
});
