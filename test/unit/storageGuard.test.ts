import { registrySchema, RegistrySettings } from "../../config/registrySchema";
import { parseStorageRecord, storageGuardProblems, storageRecord } from "../../config/storageGuard";

const settings = (raw: Record<string, unknown>): RegistrySettings => registrySchema.parse(raw);
const filesystem = (extra: Record<string, unknown> = {}, storage: Record<string, unknown> = {}) =>
  settings({ mode: "managed", storage: { type: "filesystem", ...storage }, ...extra });
const s3 = (storage: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  settings({ mode: "managed", storage: { type: "s3", bucket: "images", rootDirectory: "/registry", ...storage }, ...extra });
const addon = (extra: Record<string, unknown> = {}) => settings({ mode: "microk8s-addon", ...extra });
const SSH = { host: "node-1.example.invalid", user: "ubuntu" };

describe("what the guard records", () => {
  test.each([
    ["filesystem: the namespace holding the volume, its type, size and class", filesystem(), { mode: "managed", namespace: "container-registry", "storage.type": "filesystem", "storage.size": "20Gi", "storage.storageClass": "(cluster default)" }],
    ["s3: the bucket and prefix, not the namespace (it holds no image)", s3(), { mode: "managed", "storage.type": "s3", "storage.bucket": "images", "storage.rootDirectory": "/registry" }],
    ["the addon: its mode; its target only when its delete disables it", addon(), { mode: "microk8s-addon" }],
    ["the addon with disableOnDestroy", addon({ disableOnDestroy: true }), { mode: "microk8s-addon", ssh: "local" }],
    ["external: its mode", settings({ mode: "external", host: "registry.example.invalid" }), { mode: "external" }],
  ])("%s", (_what, r, expected) => {
    expect(storageRecord(r)).toEqual(expected);
  });
});

describe("what the guard refuses", () => {
  test.each([
    ["registry.namespace", filesystem(), filesystem({ namespace: "images" }), '"container-registry"'],
    ["registry.storage.storageClass", filesystem(), filesystem({}, { storageClass: "fast" }), '"(cluster default)"'],
    ["registry.storage.bucket", s3(), s3({ bucket: "other" }), '"images"'],
    ["registry.storage.rootDirectory", s3(), s3({ rootDirectory: "/v2" }), '"/registry"'],
    ["registry.storage.type", filesystem(), s3(), '"filesystem"'],
    ["registry.mode", filesystem(), addon(), '"managed"'],
    ["registry.mode", addon(), filesystem(), '"microk8s-addon"'],
    ["registry.ssh", addon({ disableOnDestroy: true }), addon({ disableOnDestroy: true, ssh: SSH }), '"local"'],
    // Turning disableOnDestroy off in the same update does not help: the old command's delete still disables.
    ["registry.ssh", addon({ disableOnDestroy: true }), addon({ ssh: SSH }), '"local"'],
  ])("%s: one problem naming the key, the recorded value, the migration and the opt-in", (key, before, after, from) => {
    const problems = storageGuardProblems(storageRecord(before), after);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^microk8s-pipeline:${key.replace(/\./g, "\\.")} = `));
    expect(problems[0]).toContain(`(recorded by the last update)`);
    expect(problems[0]).toContain("skopeo sync --all, or regctl image copy");
    expect(problems[0]).toContain(`pulumi config set --path ${key.replace("registry.", "registry.allowReplaceFrom.")} ${from}`);
  });

  test.each([
    ["nothing recorded (a first update)", undefined, filesystem({ namespace: "images" })],
    ["an unchanged stack", storageRecord(s3()), s3()],
    ["settings that hold no image: the s3 registry's namespace, replicas, the addon's size", storageRecord(s3()), s3({}, { namespace: "registry-2", replicas: 3 })],
    ["the addon switched to SSH without disableOnDestroy", storageRecord(addon()), addon({ ssh: SSH })],
    ["the addon's size", storageRecord(addon()), addon({ size: "40Gi" })],
    ["a larger filesystem volume (the claim expands in place)", storageRecord(filesystem()), filesystem({}, { size: "40Gi" })],
  ])("lets through %s", (_what, previous, after) => {
    expect(storageGuardProblems(previous, after)).toEqual([]);
  });

  test("allowReplaceFrom lets exactly the change from the named value through", () => {
    const before = storageRecord(s3());
    expect(storageGuardProblems(before, s3({ bucket: "other" }, { allowReplaceFrom: { storage: { bucket: "images" } } }))).toEqual([]);
    // Left in place after the migration, it names a value that is no longer recorded: nothing else passes.
    const later = storageRecord(s3({ bucket: "other" }));
    expect(storageGuardProblems(later, s3({ bucket: "third" }, { allowReplaceFrom: { storage: { bucket: "images" } } }))).toHaveLength(1);
    // An opt-in for one key does not cover another.
    expect(storageGuardProblems(before, s3({ bucket: "other", rootDirectory: "/x" }, { allowReplaceFrom: { storage: { bucket: "images" } } }))).toEqual([
      expect.stringMatching(/^microk8s-pipeline:registry\.storage\.rootDirectory = "\/x"/),
    ]);
  });

  test("a mode change is reported alone, and a storage type change without the keys that follow from it", () => {
    expect(storageGuardProblems(storageRecord(filesystem()), settings({ mode: "external", host: "r.example.invalid" }))).toHaveLength(1);
    const typeChange = storageGuardProblems(storageRecord(filesystem({ namespace: "images" })), s3({}, { namespace: "other" }));
    expect(typeChange.map((p) => p.split(" = ")[0])).toEqual(["microk8s-pipeline:registry.namespace", "microk8s-pipeline:registry.storage.type"]);
  });

  test("a smaller volume is refused whatever the opt-in: Kubernetes never shrinks a claim", () => {
    const problems = storageGuardProblems(storageRecord(filesystem({}, { size: "40Gi" })), filesystem({ allowReplaceFrom: { storage: { size: "40Gi" } } }, { size: "20Gi" }));
    expect(problems).toEqual([expect.stringMatching(/^microk8s-pipeline:registry\.storage\.size = "20Gi": is smaller than the volume's "40Gi" .*never shrinks a claim/)]);
  });

  test("a record read back keeps only string values", () => {
    expect(parseStorageRecord({ mode: "managed", x: 1 })).toEqual({ mode: "managed" });
    expect(parseStorageRecord("managed")).toBeUndefined();
    expect(parseStorageRecord(undefined)).toBeUndefined();
    expect(parseStorageRecord({})).toBeUndefined();
  });

  test("the opt-in's keys are checked like any other", () => {
    expect(() => settings({ mode: "managed", allowReplaceFrom: { storage: { buckt: "images" } } })).toThrow(/buckt/);
  });
});
