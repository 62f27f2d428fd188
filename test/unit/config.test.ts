import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { RunError } from "@pulumi/pulumi";
import { ConfigError } from "../../config/errors";
import { parseConfig, validateStack } from "../../config/parse";

const PINNED = `registry:2.8.3@sha256:${"a".repeat(64)}`;
const prodS3 = { type: "s3", bucket: "registry", regionEndpoint: "http://minio.example.invalid:9000" };

function problemsOf(stack: string, raw: Record<string, unknown>): string[] {
  try {
    parseConfig(stack, raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`Invalid config for stack "${stack}"`);
    return (error as ConfigError).problems;
  }
  throw new Error("config was accepted");
}

describe("ConfigError", () => {
  test("is a RunError, so the engine prints its message alone, and keeps Error.stack a stack trace", () => {
    let error: unknown;
    try {
      parseConfig("prod", { environment: "staging" });
    } catch (e) {
      error = e;
    }
    expect(RunError.isInstance(error)).toBe(true);
    const configError = error as ConfigError;
    expect(configError.stackName).toBe("prod");
    expect(configError.stack).toMatch(/^ConfigError: Invalid config for stack "prod":\n {2}- microk8s-pipeline:environment = "staging"/);
    expect(configError.stack).toMatch(/\n\s+at /);
  });
});

describe("parseConfig defaults", () => {
  test("dev defaults to the addon on localhost:32000 with 20Gi, which destroy does not disable", () => {
    const config = parseConfig("dev", { environment: "dev" });
    expect(config.registry).toEqual({
      mode: "microk8s-addon",
      size: "20Gi",
      host: "localhost:32000",
      readiness: { attempts: 60, intervalSeconds: 5 },
      disableOnDestroy: false,
      nodeTrust: { enabled: false, certsDir: "/var/snap/microk8s/args/certs.d", image: "busybox:1.36.1", namespace: "registry-node-trust" },
      allowReplaceFrom: {},
    });
  });

  test("prod defaults to a managed registry with auth and NodePort 32000, whose image it must pin by digest", () => {
    expect(problemsOf("prod", { environment: "prod" })).toEqual([
      'microk8s-pipeline:registry.image = "registry:2.8.3": must be pinned by digest in prod (registry:2.8.3@sha256:...; docker buildx imagetools inspect registry:2.8.3 gives it)',
    ]);
    const { registry } = parseConfig("prod", { environment: "prod", registry: { image: PINNED } });
    if (registry.mode !== "managed") throw new Error(registry.mode);
    expect(registry.image).toBe(PINNED);
    expect(registry.nodePort).toBe(32000);
    expect(registry.auth).toEqual({ enabled: true, username: "registry", realm: "Registry Realm", pullUsername: "puller" });
    expect(registry.storage).toEqual({ type: "filesystem", size: "20Gi", deleteOnDestroy: false });
    expect(registry.ui.enabled).toBe(false);
  });

  test("s3 storage keeps its MinIO endpoint and allows several replicas", () => {
    const { registry } = parseConfig("prod", { environment: "prod", registry: { image: PINNED, replicas: 3, storage: prodS3 } });
    if (registry.mode !== "managed") throw new Error(registry.mode);
    expect(registry.replicas).toBe(3);
    expect(registry.storage).toMatchObject({ type: "s3", bucket: "registry", region: "us-east-1", secure: true, v4auth: true });
  });
});

test("Pulumi.yaml declares the same tagStrategy default as the schema (the CLI applies one, mocks the other)", () => {
  const project = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), "utf8"));
  expect(project.runtime.name).toBe("nodejs");
  expect(project.config.tagStrategy.default).toBe(parseConfig("dev", { environment: "dev" }).tagStrategy);
  expect(project.config.environment.type).toBe("string");
});

describe("parseConfig rejects bad values, naming stack, key, value and what is allowed", () => {
  test.each([
    ["an unknown mode", "prod", { registry: { mode: "docker-hub" } }, 'microk8s-pipeline:registry.mode = "docker-hub": mode must be one of: microk8s-addon, managed, external'],
    ["size below 20Gi", "dev", { registry: { size: "10Gi" } }, 'microk8s-pipeline:registry.size = "10Gi": must be at least 20Gi'],
    ["s3 without a bucket", "prod", { registry: { storage: { type: "s3" } } }, "microk8s-pipeline:registry.storage.bucket = (not set): is required with s3 storage"],
    ["replicas > 1 with filesystem storage", "prod", { registry: { replicas: 2 } }, "microk8s-pipeline:registry.replicas = 2: must be 1 with filesystem storage: the blobs sit on one ReadWriteOnce volume"],
    ["a malformed memory quantity", "prod", { registry: { resources: { limits: { memory: "128MB" } } } }, 'microk8s-pipeline:registry.resources.limits.memory = "128MB": must be a Kubernetes quantity such as 128Mi'],
    ["an empty username", "prod", { registry: { auth: { username: "" } } }, 'microk8s-pipeline:registry.auth.username = "": must be a non-empty user name'],
    ["a username with ':'", "prod", { registry: { auth: { username: "a:b" } } }, "must not contain ':'"],
    ["a request above its limit", "prod", { registry: { resources: { requests: { cpu: "2" }, limits: { cpu: "1" } } } }, 'registry.resources.requests.cpu = "2": must not exceed limits.cpu (1)'],
    ["an unpinned registry image", "prod", { registry: { image: "registry:latest" } }, "must be pinned to a version tag or digest"],
    ["a NodePort out of range", "prod", { registry: { nodePort: 5000 } }, "registry.nodePort = 5000: must be a NodePort in 30000-32767"],
    ["a misspelt key", "dev", { registry: { sise: "30Gi" } }, "microk8s-pipeline:registry.sise: unknown key sise; check the spelling"],
    ["external without a host", "dev", { registry: { mode: "external" } }, "microk8s-pipeline:registry.host = (not set)"],
  ])("%s", (_what, stack, registry, expected) => {
    const pinned = stack === "prod" ? { image: PINNED } : {};
    const problems = problemsOf(stack, { environment: stack, registry: { ...pinned, ...registry.registry } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  test.each([
    ["an unknown severity", { severity: "HIGH,SEVERE" }, 'microk8s-pipeline:images.scan.severity = "HIGH,SEVERE": must be a comma-separated list of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL'],
    ["a repeated severity", { severity: "HIGH,HIGH" }, "images.scan.severity"],
    ["an accepted finding without a reason", { ignore: [{ id: "CVE-2026-0001" }] }, "microk8s-pipeline:images.scan.ignore.0.reason = (not set)"],
    ["an accepted finding with an empty reason", { ignore: [{ id: "CVE-2026-0001", reason: " " }] }, 'images.scan.ignore.0.reason = "": must be a non-empty reason'],
    ["a misspelt scan key", { severities: "HIGH" }, "microk8s-pipeline:images.scan: unknown key(s) severities; check the spelling"],
  ])("images.scan: %s", (_what, scan, expected) => {
    const problems = problemsOf("dev", { environment: "dev", images: { scan: { enabled: true, ...scan } } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  test("images.scan defaults: off, HIGH,CRITICAL, fixed and unfixed findings count, nothing accepted, trivy from PATH", () => {
    expect(parseConfig("dev", { environment: "dev" }).scan).toEqual({ enabled: false, severity: "HIGH,CRITICAL", ignoreUnfixed: false, ignore: [], trivy: "trivy", offline: false });
  });

  test("an environment other than dev or prod", () => {
    expect(problemsOf("qa", { environment: "staging" })).toEqual([
      'microk8s-pipeline:environment = "staging": must be one of: dev, prod',
    ]);
  });

  test("every problem is reported at once", () => {
    const problems = problemsOf("prod", { environment: "prod", registry: { image: PINNED, replicas: 2, nodePort: 1, auth: { username: "" } } });
    expect(problems).toHaveLength(3);
  });
});

describe("validateStack: the rules over what was read, without Pulumi", () => {
  const read = (over: Partial<Parameters<typeof validateStack>[0]> = {}) => ({
    stack: "dev",
    raw: { environment: "dev", apps: [] },
    keys: ["environment", "apps"],
    secretValues: {},
    storedAsSecret: new Set<string>(),
    ...over,
  });

  test("a clean read has no problem", () => {
    expect(validateStack(read()).problems).toEqual([]);
  });

  test("an unknown key, a secret stored in plaintext and an app secret of no app are each one line, in that order", () => {
    const { problems } = validateStack(
      read({ keys: ["environment", "apps", "regsitry", "registryPassword", "appSecrets"], secretValues: { registryPassword: "pw", appSecrets: '{"web":{"API_KEY":"x"}}' }, storedAsSecret: new Set(["appSecrets"]) }),
    );
    expect(problems.map((p) => p.split(":").slice(0, 2).join(":").split(" ")[0])).toEqual([
      "microk8s-pipeline:regsitry",
      "microk8s-pipeline:registryPassword",
      "microk8s-pipeline:appSecrets.web",
    ]);
  });

  test("a parse failure lists the unknown keys before its own problems", () => {
    expect(() => validateStack(read({ raw: { environment: "staging" }, keys: ["environment", "regsitry"] }))).toThrow(
      expect.objectContaining({ problems: [expect.stringContaining("microk8s-pipeline:regsitry: unknown key"), expect.stringContaining("microk8s-pipeline:environment")] }),
    );
  });
});
