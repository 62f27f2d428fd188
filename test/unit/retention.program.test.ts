import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IN_USE_RULES } from "../../components/registryRetention";
import { pruneImageInputs, pruneImageTag } from "../../lib/pruneImage";
import { inUseHosts, retentionArgs } from "../../lib/retentionArgs";
import { MAINTAINS_LABEL } from "../../prune/turn";
import { evaluate, Evaluation, find, isSecretAt, k8sName, ofType, ROOT, stackConfig, TYPES } from "../harness";
import { enginePlatform } from "../../lib/platform";

const KUBECTL_PINNED = `alpine/k8s:1.31.4@sha256:${"c".repeat(64)}`;
const prodRegistry = () => structuredClone(stackConfig("prod").registry) as Record<string, any>;
const IMAGE = "docker:index/image:Image";
const CRON = "kubernetes:batch/v1:CronJob";
const retention = { enabled: true, keep: 7, schedule: "15 1 * * *", protect: ["prod-pinned"], protectDigests: [`sha256:${"d".repeat(64)}`], build: { network: "host" } };

describe("scheduled retention (registry.retention)", () => {
  let run: Evaluation;
  beforeAll(async () => {
    run = await evaluate("prod", { overrides: { registry: { ...prodRegistry(), retention, gc: { enabled: true, kubectlImage: KUBECTL_PINNED } } } });
  });

  test("is off by default: no CronJob, no account, no registry-prune image", async () => {
    const off = await evaluate("prod");
    expect(off.resources.filter((r) => r.name.includes("retention") || r.name.includes("prune-image"))).toEqual([]);
  });

  test("builds registry-prune from this repository (prune/Dockerfile, the root narrowed by .dockerignore), tagged by its inputs, and pushes it to the registry once it answers", () => {
    const image = find(run.resources, IMAGE, "-prune-image");
    expect(image.inputs.imageName).toBe(`localhost:32000/container-registry/registry-prune:${pruneImageTag(ROOT)}`);
    expect(image.inputs.build).toMatchObject({ context: ROOT, dockerfile: path.join(ROOT, "prune", "Dockerfile"), network: "host", platform: enginePlatform() });
    expect(image.dependsOn).toContain(find(run.resources, TYPES.localCommand, "registry-managed-ready").name);
    expect(isSecretAt(image, "registry")).toBe(true);
  });

  test("the CronJob runs that image by digest, with in-use protection, its turn and --yes; the password through secretKeyRef", () => {
    const cron = find(run.resources, CRON, "-retention");
    expect(cron.inputs.spec).toMatchObject({ schedule: "15 1 * * *", concurrencyPolicy: "Forbid" });
    const pod = cron.inputs.spec.jobTemplate.spec.template.spec;
    const [prune] = pod.containers;
    const image = find(run.resources, IMAGE, "-prune-image");
    expect(prune.image).toMatch(new RegExp(`^localhost:32000/container-registry/registry-prune@sha256:[a-f0-9]{64}$`));
    expect(prune.image.split("@")[0]).toBe(image.inputs.imageName.replace(/:[^:]+$/, ""));
    const target = { serviceName: "registry-managed", namespace: "container-registry", port: 5000, host: "localhost:32000", nodePort: 32000, tls: true, username: prodRegistry().auth.username };
    expect(prune.args).toEqual(retentionArgs(retention, target));
    expect(prune.args).toEqual(expect.arrayContaining(["--in-use-from-cluster", "--yes", "--keep", "7", "--protect", "prod-pinned", "--ca-file", "/etc/registry-ca/ca.crt"]));
    expect(prune.args.slice(0, 2)).toEqual(["--registry", "https://registry-managed.container-registry.svc.cluster.local:5000"]);
    expect(prune.args.join(" ")).toContain("--wait-turn $(POD_NAMESPACE)/$(JOB_NAME)");
    const credential = find(run.resources, TYPES.secret, "-retention-credential");
    expect(prune.env).toContainEqual({ name: "REGISTRY_PASSWORD", valueFrom: { secretKeyRef: { name: k8sName(credential), key: "password" } } });
    expect(isSecretAt(credential, "stringData")).toBe(true);
    // The one plain value: Node's heap sized to the container's limit (384Mi by default), not the machine's.
    expect(prune.env.filter((e: any) => e.value !== undefined)).toEqual([{ name: "NODE_OPTIONS", value: "--max-old-space-size=192" }]);
    expect(JSON.stringify(cron.inputs)).not.toContain(String(run.outputs.registryPassword));
    expect(pod.imagePullSecrets).toEqual([{ name: k8sName(find(run.resources, TYPES.secret, "-retention-pull")) }]);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(prune.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(prune.volumeMounts).toContainEqual({ name: "api-token", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true });
    expect(find(run.resources, "kubernetes:core/v1:ConfigMap", "-retention-ca").inputs.data["ca.crt"]).toBe(run.outputs.registryCa);
  });

  test("its account may list the workload kinds in every namespace, and nothing else", () => {
    const role = find(run.resources, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "-retention");
    expect(role.inputs.rules).toEqual(IN_USE_RULES);
    expect(role.inputs.rules.flatMap((r: any) => r.verbs)).toEqual(["list", "list", "list"]);
    expect(role.inputs.rules.flatMap((r: any) => r.resources).sort()).toEqual(["cronjobs", "daemonsets", "deployments", "jobs", "pods", "replicasets", "statefulsets"]);
    const binding = find(run.resources, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "-retention");
    const account = find(run.resources, "kubernetes:core/v1:ServiceAccount", "-retention");
    expect(binding.inputs.subjects).toEqual([{ kind: "ServiceAccount", name: k8sName(account), namespace: "container-registry" }]);
    expect(find(run.resources, CRON, "-retention").inputs.spec.jobTemplate.spec.template.spec.serviceAccountName).toBe(k8sName(account));
  });

  test("retention and GC Jobs carry the registry's maintenance label, so they take turns; the GC window may list Jobs in its namespace and waits its turn", () => {
    const registryName = k8sName(find(run.resources, TYPES.deployment, "registry-managed"));
    for (const suffix of ["-retention", "-gc"]) expect(find(run.resources, CRON, suffix).inputs.spec.jobTemplate.metadata.labels[MAINTAINS_LABEL]).toBe(registryName);
    expect(find(run.resources, CRON, "-gc-guard").inputs.spec.jobTemplate.metadata).toBeUndefined();
    const turn = find(run.resources, "kubernetes:rbac.authorization.k8s.io/v1:Role", "-gc-turn");
    expect(turn.inputs.rules).toEqual([{ apiGroups: ["batch"], resources: ["jobs"], verbs: ["list"] }]);
    const turnBinding = find(run.resources, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "-gc-turn");
    expect(turnBinding.inputs.subjects.map((s: any) => s.name)).toEqual([k8sName(find(run.resources, "kubernetes:core/v1:ServiceAccount", "-gc"))]);
    const window = find(run.resources, CRON, "-gc").inputs.spec.jobTemplate.spec.template.spec.containers[0];
    expect(window.env).toContainEqual({ name: "JOB_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } });
    expect(window.command[2].indexOf(`-l '${MAINTAINS_LABEL}=${registryName}'`)).toBeLessThan(window.command[2].indexOf("trap restore EXIT"));
  });

  test("the image's tag is the same on every evaluation", async () => {
    const again = await evaluate("prod", { overrides: { registry: { ...prodRegistry(), retention } } });
    expect(find(again.resources, IMAGE, "-prune-image").inputs.imageName).toBe(find(run.resources, IMAGE, "-prune-image").inputs.imageName);
  });

  test("without auth or TLS, no credential, no CA and an http URL", async () => {
    const plain = await evaluate("dev", { overrides: { registry: { mode: "managed", auth: { enabled: false }, retention: { enabled: true } } } });
    const prune = find(plain.resources, CRON, "-retention").inputs.spec.jobTemplate.spec.template.spec.containers[0];
    expect(prune.args.slice(0, 2)).toEqual(["--registry", "http://registry-managed.container-registry.svc.cluster.local:5000"]);
    expect(prune.args).not.toContain("--username");
    expect(prune.args).not.toContain("--ca-file");
    expect(prune.env.map((e: any) => e.name)).toEqual(["POD_NAMESPACE", "JOB_NAME", "NODE_OPTIONS"]);
    expect(ofType(plain.resources, "kubernetes:core/v1:ConfigMap").filter((c) => c.name.includes("retention"))).toEqual([]);
  });
});

describe("bad retention settings are refused before any resource, naming the key", () => {
  test.each([
    ["a schedule of 4 fields", { schedule: "0 2 * *" }, "registry.retention.schedule"],
    ["keep 0", { keep: 0 }, "registry.retention.keep = 0"],
    ["a protected tag with a space", { protect: ["a b"] }, "registry.retention.protect.0"],
    ["a digest without its algorithm", { protectDigests: ["d".repeat(64)] }, "registry.retention.protectDigests.0"],
    ["an unknown key", { keepDays: 30 }, "registry.retention"],
    ["a build arg that carries a token", { build: { args: { NPM_TOKEN: "x" } } }, 'registry.retention.build.args.NPM_TOKEN = "(hidden)": looks like a credential'],
    ["a mirror URL with a password", { build: { args: { NPM_CONFIG_REGISTRY: "https://u:p@mirror.example.invalid/" } } }, "registry.retention.build.args.NPM_CONFIG_REGISTRY"],
  ])("%s", async (_what, change, key) => {
    const run = evaluate("prod", { overrides: { registry: { ...prodRegistry(), retention: { enabled: true, ...change } } } });
    await expect(run).rejects.toThrow('Invalid config for stack "prod":');
    await expect(run).rejects.toThrow(`microk8s-pipeline:${key}`);
  });

  test("an external registry has no retention of ours", async () => {
    const run = evaluate("prod", {
      overrides: { registry: { mode: "external", host: "registry.example.invalid:5000", username: "ci", pullUsername: "ci-pull", retention: { enabled: true } } },
      secrets: { registryPassword: "p", registryPullPassword: "q" },
    });
    await expect(run).rejects.toThrow("microk8s-pipeline:registry.retention");
  });
});

describe("the registry-prune image's inputs", () => {
  test("/.dockerignore lets in exactly the files its tag hashes (the Dockerfile aside, which Docker reads on its own)", () => {
    const allowed = fs
      .readFileSync(path.join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("!"))
      .map((l) => l.slice(1));
    const expanded = allowed.flatMap((pattern) => (pattern === "prune/*.ts" ? fs.readdirSync(path.join(ROOT, "prune")).filter((f) => f.endsWith(".ts")).map((f) => `prune/${f}`) : [pattern]));
    expect(expanded.sort()).toEqual(pruneImageInputs(ROOT).filter((f) => f !== "prune/Dockerfile"));
  });

  test("prune/package.json pins the repository's own versions of what the CLI imports, and its lockfile agrees with the root's", () => {
    const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    const own = JSON.parse(fs.readFileSync(path.join(ROOT, "prune", "package.json"), "utf8"));
    for (const [name, version] of Object.entries<string>({ ...own.dependencies, ...own.devDependencies })) {
      expect(`${name}@${root.dependencies[name] ?? root.devDependencies[name]}`).toBe(`${name}@${version}`);
    }
    const rootLock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")).packages;
    const ownLock = JSON.parse(fs.readFileSync(path.join(ROOT, "prune", "package-lock.json"), "utf8")).packages;
    const differing = Object.entries<any>(ownLock)
      .filter(([where]) => where !== "" && rootLock[where] && rootLock[where].version !== ownLock[where].version)
      .map(([where]) => where);
    expect(differing).toEqual([]);
    expect(JSON.stringify(ownLock)).not.toContain('"resolved"');
  });

  test("the tag changes when a source the image compiles changes, and only then", () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "prune-inputs-"));
    for (const file of pruneImageInputs(ROOT)) {
      fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, file), path.join(copy, file));
    }
    const before = pruneImageTag(copy);
    expect(before).toBe(pruneImageTag(ROOT));
    expect(before).toMatch(/^0\.1\.0-[a-f0-9]{12}$/);
    fs.writeFileSync(path.join(copy, "README.md"), "not an input");
    expect(pruneImageTag(copy)).toBe(before);
    fs.appendFileSync(path.join(copy, "prune", "plan.ts"), "\n");
    expect(pruneImageTag(copy)).not.toBe(before);
    fs.rmSync(copy, { recursive: true, force: true });
  });

  test("in-use protection counts every name the cluster may give the registry, with and without the port", () => {
    const hosts = inUseHosts({ serviceName: "registry-managed", namespace: "container-registry", port: 5000, host: "registry.example.invalid:443", nodePort: 32001, tls: true });
    expect(hosts).toEqual([
      "registry-managed:5000",
      "registry-managed",
      "registry-managed.container-registry:5000",
      "registry-managed.container-registry",
      "registry-managed.container-registry.svc:5000",
      "registry-managed.container-registry.svc",
      "registry-managed.container-registry.svc.cluster.local:5000",
      "registry-managed.container-registry.svc.cluster.local",
      "registry.example.invalid:443",
      "localhost:32001",
    ]);
  });
});
