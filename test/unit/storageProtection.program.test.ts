import { evaluate, find, stackConfig, TYPES } from "../harness";

const prodRegistry = () => structuredClone(stackConfig("prod").registry) as Record<string, any>;
const filesystemRegistry = (storage: Record<string, unknown> = {}) => ({ ...prodRegistry(), replicas: 1, storage: { type: "filesystem", ...storage } });

/** Evaluates prod with `registry`, the last update having recorded `previous`; resolves to the types registered. */
async function registeredWith(registry: Record<string, unknown>, previous: Record<string, string>): Promise<string[]> {
  const registered: string[] = [];
  await evaluate("prod", { overrides: { registry }, previousOutputs: { registryStorage: previous }, outputsFor: (type) => void registered.push(type) });
  return registered;
}

describe("the volume that holds the images survives destroy and replacement", () => {
  test("filesystem: the claim and its namespace are retained on delete; the NodePort Service frees its port before a replacement", async () => {
    const prod = await evaluate("prod", { overrides: { registry: filesystemRegistry() } });
    expect(find(prod.resources, TYPES.pvc, "registry-managed-data").options.retainOnDelete).toBe(true);
    expect(find(prod.resources, TYPES.namespace, "registry-managed-ns").options.retainOnDelete).toBe(true);
    expect(find(prod.resources, TYPES.service, "registry-managed").options.deleteBeforeReplace).toBe(true);
    expect(prod.outputs.registryStorage).toEqual({
      mode: "managed",
      namespace: "container-registry",
      "storage.type": "filesystem",
      "storage.size": "20Gi",
      "storage.storageClass": "(cluster default)",
    });
  });

  test("storage.deleteOnDestroy: true lets destroy delete them", async () => {
    const prod = await evaluate("prod", { overrides: { registry: filesystemRegistry({ deleteOnDestroy: true }) } });
    expect(find(prod.resources, TYPES.pvc, "registry-managed-data").options.retainOnDelete).toBe(false);
    expect(find(prod.resources, TYPES.namespace, "registry-managed-ns").options.retainOnDelete).toBe(false);
  });

  test("s3: the namespace holds no image and is not retained; the record names the bucket and prefix", async () => {
    const prod = await evaluate("prod");
    expect(find(prod.resources, TYPES.namespace, "registry-managed-ns").options.retainOnDelete).toBe(false);
    expect(prod.outputs.registryStorage).toEqual({ mode: "managed", "storage.type": "s3", "storage.bucket": "container-registry", "storage.rootDirectory": "/registry" });
  });
});

describe("a guarded change fails before any resource, naming the key and the opt-in", () => {
  const recordedS3 = { mode: "managed", "storage.type": "s3", "storage.bucket": "old-bucket", "storage.rootDirectory": "/registry" };

  test("a new bucket is refused with the stack's config error; nothing is registered", async () => {
    const registered: string[] = [];
    await expect(
      evaluate("prod", { previousOutputs: { registryStorage: recordedS3 }, outputsFor: (type) => void registered.push(type) }),
    ).rejects.toThrow(
      /^Invalid config for stack "prod":\n {2}- microk8s-pipeline:registry\.storage\.bucket = "container-registry": the registry's images are stored under storage\.bucket "old-bucket".*pulumi config set --path registry\.allowReplaceFrom\.storage\.bucket "old-bucket"$/s,
    );
    expect(registered).toEqual([]);
  });

  test("the opt-in naming the old bucket lets the update through", async () => {
    const registry = { ...prodRegistry(), allowReplaceFrom: { storage: { bucket: "old-bucket" } } };
    expect(await registeredWith(registry, recordedS3)).toContain(TYPES.deployment);
  });

  test("a filesystem storage class change is refused; a larger size and the same stack unchanged pass", async () => {
    const recorded = (await evaluate("prod", { overrides: { registry: filesystemRegistry() } })).outputs.registryStorage as Record<string, string>;
    await expect(registeredWith(filesystemRegistry({ storageClass: "fast" }), recorded)).rejects.toThrow(/registry\.storage\.storageClass = "fast"/);
    expect(await registeredWith(filesystemRegistry({ size: "40Gi" }), recorded)).toContain(TYPES.pvc);
    expect(await registeredWith(filesystemRegistry(), recorded)).toContain(TYPES.pvc);
  });

  test("dev: the addon's mode is recorded, and a move to a managed registry is refused", async () => {
    const dev = await evaluate("dev");
    expect(dev.outputs.registryStorage).toEqual({ mode: "microk8s-addon" });
    await expect(
      evaluate("dev", { overrides: { registry: { mode: "managed", auth: { enabled: false } } }, previousOutputs: { registryStorage: dev.outputs.registryStorage } }),
    ).rejects.toThrow(/registry\.mode = "managed": the registry's images are stored under mode "microk8s-addon"/);
  });
});
