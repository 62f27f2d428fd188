import { stackMode } from "../../config/stackMode";
import { defaultMode, modeOf, REGISTRY_MODE_TABLE, REGISTRY_MODES, registryKeyHint, registrySchema } from "../../modes";

/** The smallest valid settings of each mode. */
const MINIMAL: Record<string, Record<string, unknown>> = {
  "microk8s-addon": { mode: "microk8s-addon" },
  managed: { mode: "managed" },
  external: { mode: "external", host: "registry.example.test" },
};

describe("the registry mode table", () => {
  test("lists each mode once, under the name its schema's literal carries", () => {
    expect(REGISTRY_MODES).toEqual(["microk8s-addon", "managed", "external"]);
    for (const name of REGISTRY_MODES) {
      const settings = registrySchema.parse(MINIMAL[name]);
      expect(settings.mode).toBe(name);
      expect(modeOf(settings)).toBe(REGISTRY_MODE_TABLE[name]);
      expect(REGISTRY_MODE_TABLE[name].keys).toContain("mode");
    }
  });

  test("gives dev the addon and prod the managed registry when registry.mode is not set", () => {
    expect(defaultMode("dev")).toBe("microk8s-addon");
    expect(defaultMode("prod")).toBe("managed");
  });

  test("answers each mode's questions from its own module", () => {
    const addon = registrySchema.parse(MINIMAL["microk8s-addon"]);
    const managed = registrySchema.parse({ mode: "managed", tls: { generate: true } });
    const external = registrySchema.parse(MINIMAL.external);
    expect([addon, managed, external].map((s) => modeOf(s).insecure(s))).toEqual([true, false, false]);
    expect([addon, managed, external].map((s) => modeOf(s).namespace(s))).toEqual(["container-registry", "container-registry", undefined]);
    expect([addon, managed, external].map((s) => modeOf(s).host(s))).toEqual(["localhost:32000", "localhost:32000", "registry.example.test"]);
  });

  test("names the mode a misplaced key belongs to", () => {
    expect(registryKeyHint("ssh", "managed")).toBe("ssh exists only in microk8s-addon mode (registry.mode is managed)");
    expect(registryKeyHint("gc", "external")).toBe("gc exists only in managed mode (registry.mode is external)");
    expect(registryKeyHint("nope", "managed")).toContain("unknown key nope");
  });
});

describe("config/stackMode (what scripts/deploy.sh asks)", () => {
  const file = (config: Record<string, unknown>) => JSON.stringify({ config });

  test("resolves the mode as the program does: named, or the environment's default", () => {
    expect(stackMode(file({ "microk8s-pipeline:environment": "dev" }))).toEqual({ mode: "microk8s-addon" });
    expect(stackMode(file({ "microk8s-pipeline:environment": "prod" }))).toEqual({ mode: "managed" });
    expect(stackMode(file({ "microk8s-pipeline:environment": "prod", "microk8s-pipeline:registry": { mode: "external", host: "r.example.test" } }))).toEqual({ mode: "external" });
    expect(stackMode("")).toEqual({ mode: "microk8s-addon" });
  });

  test("refuses a mode no module has, listing the modes", () => {
    expect(stackMode("config:\n  microk8s-pipeline:registry:\n    mode: harbor\n")).toEqual({
      error: 'microk8s-pipeline:registry.mode = "harbor": mode must be one of: microk8s-addon, managed, external',
    });
  });
});
