/** ManagedRegistry alone under mocks: what its settings decide for the volume, the keys, the spread and auth. */
import type { ManagedRegistryArgs } from "../../../components/managedRegistry";
import type { ManagedRegistrySettings, S3Storage } from "../../../components/managedRegistry/settings";
import { buildComponents, find, isSecretAt, k8sName, ofType, Recorded, TYPES } from "../../harness";

const RESOURCES = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } };
const SETTINGS: ManagedRegistrySettings = {
  namespace: "registry",
  image: "registry:3.0.0",
  replicas: 1,
  nodePort: 32000,
  storage: { type: "filesystem", size: "10Gi", deleteOnDestroy: false },
  auth: { enabled: false, username: "ci", realm: "Registry" },
  metrics: false,
  debugPortFrom: [],
  resources: RESOURCES,
  ui: { enabled: false, image: "joxit/docker-registry-ui:2.5.7", title: "Registry", deleteImages: false, resources: RESOURCES },
  gc: { enabled: false, schedule: "0 3 * * 0", kubectlImage: "bitnami/kubectl:1.31", resources: RESOURCES },
  retention: { enabled: false, keep: 10, protect: [], protectDigests: [], schedule: "0 2 * * *", resources: RESOURCES },
  tls: { enabled: false, validityDays: 365, dockerCertsDir: "/etc/docker/certs.d" },
  readiness: { attempts: 3, intervalSeconds: 1 },
};
const S3: S3Storage = { type: "s3", bucket: "images", region: "us-east-1", regionEndpoint: "http://127.0.0.1:9000", secure: false, v4auth: true };

async function build(settings: Partial<ManagedRegistrySettings>, args: Partial<ManagedRegistryArgs> = {}): Promise<Recorded[]> {
  const run = await buildComponents(() => {
    const { ManagedRegistry } = require("../../../components/managedRegistry") as typeof import("../../../components/managedRegistry");
    const registry = new ManagedRegistry("registry", { settings: { ...SETTINGS, ...settings }, ...args });
    return { host: registry.host };
  });
  return run.resources;
}
const registryPod = (resources: Recorded[]) => find(resources, TYPES.deployment, "registry").inputs.spec.template.spec;
const registryEnv = (resources: Recorded[]): { name: string; value?: string; valueFrom?: unknown }[] => registryPod(resources).containers[0].env;

describe("ManagedRegistry", () => {
  test("filesystem storage: a ReadWriteOnce claim that destroy keeps, with its namespace; the pods stay on its node", async () => {
    const resources = await build({});
    const claim = find(resources, TYPES.pvc, "registry-data");
    expect(claim.inputs.spec).toMatchObject({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } });
    expect(claim.options.retainOnDelete).toBe(true);
    expect(find(resources, TYPES.namespace, "registry-ns").options.retainOnDelete).toBe(true);
    expect(registryPod(resources).affinity).toBeDefined();
    expect(registryPod(resources).volumes).toContainEqual(expect.objectContaining({ persistentVolumeClaim: { claimName: k8sName(claim) } }));
  });

  test("filesystem storage with deleteOnDestroy: destroy deletes the claim and the namespace", async () => {
    const resources = await build({ storage: { ...SETTINGS.storage, deleteOnDestroy: true } as ManagedRegistrySettings["storage"] });
    expect(find(resources, TYPES.pvc, "registry-data").options.retainOnDelete).toBe(false);
    expect(find(resources, TYPES.namespace, "registry-ns").options.retainOnDelete).toBe(false);
  });

  test("S3 storage: the keys are Pulumi secrets in the env Secret, read through secretKeyRef; no claim, no ConfigMap holds them", async () => {
    const resources = await build({ storage: S3 }, { s3Credentials: { accessKey: "AKIAEXAMPLE", secretKey: "s3-secret-value" } });
    const envSecret = find(resources, TYPES.secret, "registry-env");
    expect(isSecretAt(envSecret, "stringData")).toBe(true);
    const keyVars = registryEnv(resources).filter((v) => v.name.startsWith("REGISTRY_STORAGE_S3_") && v.name.endsWith("KEY"));
    expect(keyVars.map((v) => v.name).sort()).toEqual(["REGISTRY_STORAGE_S3_ACCESSKEY", "REGISTRY_STORAGE_S3_SECRETKEY"]);
    for (const v of keyVars) {
      expect(v.value).toBeUndefined();
      expect(v.valueFrom).toEqual({ secretKeyRef: { name: k8sName(envSecret), key: expect.any(String) } });
    }
    expect(ofType(resources, TYPES.pvc)).toEqual([]);
    expect(JSON.stringify(ofType(resources, TYPES.configMap).map((c) => c.inputs))).not.toContain("s3-secret-value");
  });

  test("S3 with two replicas: spread over nodes and a disruption budget; one replica: neither", async () => {
    const two = await build({ storage: S3, replicas: 2 }, { s3Credentials: { accessKey: "a", secretKey: "b" } });
    expect(registryPod(two).topologySpreadConstraints).toEqual([expect.objectContaining({ topologyKey: "kubernetes.io/hostname" })]);
    expect(ofType(two, "kubernetes:policy/v1:PodDisruptionBudget")).toHaveLength(1);
    const one = await build({ storage: S3 }, { s3Credentials: { accessKey: "a", secretKey: "b" } });
    expect(registryPod(one).topologySpreadConstraints).toBeUndefined();
    expect(ofType(one, "kubernetes:policy/v1:PodDisruptionBudget")).toEqual([]);
  });

  test("auth on: the htpasswd file is a Pulumi secret in a Secret of its own; without one the component refuses", async () => {
    const resources = await build({ auth: { ...SETTINGS.auth, enabled: true } }, { htpasswd: "ci:$2y$05$abcdefghijklmnopqrstuv" });
    const auth = find(resources, TYPES.secret, "registry-auth");
    expect(isSecretAt(auth, "stringData")).toBe(true);
    expect(registryEnv(resources)).toContainEqual({ name: "REGISTRY_AUTH_HTPASSWD_REALM", value: "Registry" });
    await expect(build({ auth: { ...SETTINGS.auth, enabled: true } })).rejects.toThrow("registry: auth is enabled but no htpasswd was given");
  });
});
