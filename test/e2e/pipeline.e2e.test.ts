/**
 * The program under the real Pulumi engine, against a real control plane, a real registry and the real
 * Docker Engine (see harness.ts). Each scenario is one a user meets: the first `up`, a no-op `up`, a code
 * change, unrelated changes, secrets in the state, a bad config, `destroy`.
 */
import { execFile, execFileSync, spawn } from "child_process";
import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as path from "path";
import YAML from "yaml";
import { GC_TIMEOUTS, gcGuardScript, gcWindowScript, READONLY_ANNOTATION, READONLY_VALUE, WRITABLE_VALUE } from "../../lib/gcScript";
import { MAINTAINS_LABEL } from "../../prune/turn";
import { carrying, watchCmdlines } from "../cmdlineWatch";
import { eventually } from "../integration/testEnv";
import { basicAuth, GO_TOOLS_DIR, REPO_ROOT, run, run as runCommand, tempDir } from "../integration/testEnv";
import { AppPod, probesPass, REGISTRY_NODE_PORT, runAppPod } from "./cluster";
import type { DriverResult } from "./driver";
import { E2eEnvironment, succeeded } from "./harness";

const MANIFEST_ACCEPT = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
const MINUTES = 60_000;

let env: E2eEnvironment;

beforeAll(async () => {
  env = await E2eEnvironment.start();
  const plugins = Object.entries(env.plugins).map(([name, kind]) => `${name}: ${kind}`).join(", ");
  process.stdout.write(`e2e plugins (${process.env.PULUMI_E2E_PLUGIN_DIR ? `PULUMI_E2E_PLUGIN_DIR=${process.env.PULUMI_E2E_PLUGIN_DIR}` : "no PULUMI_E2E_PLUGIN_DIR"}): ${plugins}\n`);
  await env.createBucket("container-registry");
}, 10 * MINUTES);

afterAll(async () => {
  await env?.stop();
}, 5 * MINUTES);

afterEach(() => {
  // The registry pod is played in the background: surface what went wrong there with the test that saw it.
  const errors = env?.player.errors.splice(0) ?? [];
  if (errors.length > 0) throw new Error(`the registry pod player failed:\n${errors.join("\n")}`);
});

async function outputs(stack: string): Promise<Record<string, any>> {
  return JSON.parse(await env.pulumiOk(["stack", "output", "--json", "--show-secrets", "--stack", stack]));
}

/** The tag's digest as the registry on the NodePort answers it; over TLS verified against `ca` (the stack's registryCa) alone. */
async function registryDigest(repository: string, tag: string, auth: Record<string, string> = {}, ca?: string): Promise<string | null> {
  const url = `${ca ? "https" : "http"}://127.0.0.1:${REGISTRY_NODE_PORT}/v2/${repository}/manifests/${tag}`;
  const options = { method: "HEAD", headers: { Accept: MANIFEST_ACCEPT, ...auth }, ...(ca ? { ca } : {}) };
  const answer = await new Promise<http.IncomingMessage>((resolve, reject) => (ca ? https : http).request(url, options, resolve).on("error", reject).end());
  answer.resume();
  const digest = answer.headers["docker-content-digest"];
  return answer.statusCode === 200 && typeof digest === "string" ? digest : null;
}

/** What is in the state beside the stack itself and the providers. */
async function stateResources(stack: string): Promise<string[]> {
  const state = JSON.parse(await env.pulumiOk(["stack", "export", "--stack", stack]));
  return (state.deployment.resources ?? []).map((r: { type: string }) => r.type).filter((t: string) => t !== "pulumi:pulumi:Stack" && !t.startsWith("pulumi:providers:"));
}

/**
 * The warnings and notes an operation printed (the docker provider's platform note is info), other than
 * those this machine causes by design: the engine's note that a plugin came from PATH (how the suite
 * provides plugins), and that the kubernetes plugin built here reports an older version than the SDK asks
 * for (the only one the Go module proxy serves).
 */
const warnings = (result: DriverResult) =>
  result.diagnostics
    .filter((d) => (d.severity === "warning" || d.severity === "info") && !d.ephemeral && !/using pulumi-resource-\w+ from \$PATH|resource plugin kubernetes is expected to have version/.test(d.message))
    .map((d) => d.message);

const changed = (result: DriverResult) => result.steps.map((s) => `${s.op} ${s.type}`).sort();

async function withAppPod<T>(namespace: string, deploymentName: string, check: (pod: AppPod) => Promise<T>): Promise<T> {
  const pod = await runAppPod(env.kubectl, namespace, deploymentName);
  try {
    return await check(pod);
  } finally {
    await pod.stop();
  }
}

const appDeployment = async (namespace: string) => {
  const items = (await env.kubectl.items("deployments", namespace)).filter((d) => d.metadata.labels?.app === "web");
  expect(items).toHaveLength(1);
  return items[0];
};

const claimsIn = async (ns: string) => (await env.kubectl.items("persistentvolumeclaims", ns)).map((c) => `${c.metadata.name} ${c.spec.resources.requests.storage}`).sort();

/** A copy of `stack`'s file with one bad value: preview and up fail with the message as written, and nothing exists. */
async function badConfigIsRefused(stack: string, edit: (config: Record<string, any>) => void, firstProblem: string): Promise<void> {
  const bad = `bad${stack}`;
  fs.copyFileSync(path.join(env.projectDir, `Pulumi.${stack}.yaml`), path.join(env.projectDir, `Pulumi.${bad}.yaml`));
  env.editStackFile(bad, edit);
  for (const operation of ["preview", "up"] as const) {
    const result = await env.op(operation, bad);
    expect(result.ok).toBe(false);
    // What the engine printed: its output, and its stderr, which the Automation API puts in the error.
    const shown = `${result.stdout}\n${result.error}`;
    expect(shown).toContain(`error: Invalid config for stack "${bad}":\n  - ${firstProblem}`);
    // The message as written: no object dump, no colour codes, no stack trace.
    expect(shown).not.toMatch(/problems:|name: 'ConfigError'|\u001b\[|at parseConfig|Unhandled exception/);
  }
  expect(await stateResources(bad)).toEqual([]);
  expect(await env.kubectl.namespaces()).toEqual([]);
}

/** An unchanged second `up` does nothing, and a preview that expects no changes passes. */
async function secondUpChangesNothing(stack: string): Promise<void> {
  const again = succeeded(await env.op("up", stack));
  expect(changed(again)).toEqual([]);
  expect(again.changes).toEqual({ same: expect.any(Number) });
  expect(warnings(again)).toEqual([]);
  expect(warnings(succeeded(await env.op("preview-no-changes", stack)))).toEqual([]);
}

/** A README commit, an unrelated config key and a rewritten stack file: nothing to do. */
async function unrelatedChangesChangeNothing(stack: string): Promise<void> {
  fs.appendFileSync(path.join(env.projectDir, "README.md"), `\nAn unrelated edit before ${stack}.\n`);
  await env.commit(`docs: unrelated (${stack})`);
  await env.pulumiOk(["config", "set", "--stack", stack, "team:owner", "platform"]);
  await env.pulumiOk(["config", "set", "--stack", stack, "tagStrategy", "combined"]);
  const preview = succeeded(await env.op("preview-no-changes", stack));
  expect(changed(preview)).toEqual([]);
}

/** A code change: exactly the image, its moving tag and the app's Deployment change; returns the new outputs. */
async function codeChangeRollsOnlyTheApp(stack: string, namespace: string, before: string): Promise<Record<string, any>> {
  fs.appendFileSync(path.join(env.projectDir, "app", "src", "server.js"), `// e2e: a code change for ${stack}\n`);
  await env.commit(`app: a code change (${stack})`);
  // A preview of a build says nothing either (the provider's platform note was printed here).
  expect(warnings(succeeded(await env.op("preview", stack)))).toEqual([]);
  const result = succeeded(await env.op("up", stack));
  expect(warnings(result)).toEqual([]);
  const types = new Set(result.steps.map((s) => s.type));
  expect([...types].sort()).toEqual(["command:local:Command", "docker:index/image:Image", "kubernetes:apps/v1:Deployment"]);
  expect(result.steps.filter((s) => s.type === "kubernetes:apps/v1:Deployment").map((s) => s.name)).toEqual(["app-web"]);
  // The moving tag's push, and nothing else that runs a command (the registry's readiness wait stays).
  // (replaced, as its triggers changed: create-replacement, replace, delete-replaced)
  expect([...new Set(result.steps.filter((s) => s.type === "command:local:Command").map((s) => `${s.op} ${s.name}`))].filter((s) => s.startsWith("replace "))).toEqual([
    `replace app-web-image-push-${stack === "prod" ? "stable" : "latest"}`,
  ]);
  expect(new Set(result.steps.filter((s) => s.type === "command:local:Command").map((s) => s.name))).toEqual(new Set([`app-web-image-push-${stack === "prod" ? "stable" : "latest"}`]));
  const out = await outputs(stack);
  expect(out.appImages.web.image).not.toBe(before);
  expect((await appDeployment(namespace)).spec.template.spec.containers[0].image).toBe(out.appImages.web.image);
  return out;
}

/** None of `values` appears in `pulumi stack export` (which keeps secrets encrypted). */
async function notInState(stack: string, values: string[]): Promise<void> {
  const exported = await env.pulumiOk(["stack", "export", "--stack", stack]);
  expect(values.length).toBeGreaterThan(0);
  for (const value of values) expect({ value: value.slice(0, 6), leaked: exported.includes(value) }).toEqual({ value: value.slice(0, 6), leaked: false });
}

const secretValuesIn = async (namespace: string, prefix: string) =>
  Object.values<string>((await env.kubectl.items("secrets", namespace)).find((s) => s.metadata.name.startsWith(prefix)).data).map((v) => Buffer.from(v, "base64").toString());

/** kubectl acting as a ServiceAccount of `ns`: a wrapper on PATH for scripts, and `can-i`. */
function actingAs(ns: string, account: string) {
  const as = ["--kubeconfig", env.kubectl.kubeconfig, `--as=system:serviceaccount:${ns}:${account}`];
  const bin = tempDir("kubectl-as");
  fs.writeFileSync(path.join(bin, "kubectl"), `#!/bin/sh\nexec ${env.kubectl.binary} ${as.join(" ")} "$@"\n`, { mode: 0o755 });
  const canI = (...what: string[]) =>
    new Promise<string>((resolve) => execFile(env.kubectl.binary, [...as, "-n", ns, "auth", "can-i", ...what], (_e, stdout) => resolve(String(stdout).trim())));
  /** A server-side dry run of a patch to `deployment`: admission (RBAC, then the admission policies) answers, nothing is stored. */
  const tryPatch = async (deployment: string, patch: object, type: "strategic" | "merge" | "json" = "strategic") => {
    const result = await run(env.kubectl.binary, [...as, "-n", ns, "patch", "deployment", deployment, "--dry-run=server", `--type=${type}`, "-p", JSON.stringify(patch)]);
    return result.code === 0 ? "allowed" : result.stderr.trim();
  };
  return { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, canI, tryPatch };
}

/** A shell script in a process group of its own, its output read as it comes; `kill` ends the whole group at once, as SIGKILL ends a pod. */
function startScript(script: string, scriptEnv: NodeJS.ProcessEnv) {
  const child = spawn("/bin/sh", ["-c", script], { env: scriptEnv, detached: true });
  let [stdout, stderr] = ["", ""];
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr })));
  return {
    exited,
    output: () => stdout,
    kill: () => process.kill(-(child.pid as number), "SIGKILL"),
  };
}

/**
 * A suspended Job (the cluster runs nothing) labelled as a maintenance Job of `registry`, standing for the
 * Job a GC window or retention run would run in: the window and registry-prune read their turn from it.
 */
async function maintenanceJob(ns: string, registry: string, name: string): Promise<string> {
  const job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: ns, labels: { [MAINTAINS_LABEL]: registry } },
    spec: { suspend: true, template: { spec: { restartPolicy: "Never", containers: [{ name: "x", image: "e2e.invalid/none:1" }] } } },
  };
  await env.kubectl.text(["apply", "-f", "-"], JSON.stringify(job));
  return name;
}

const readOnlyValue = async (ns: string, name: string) =>
  (await env.kubectl.json(["get", "deployment", name, "-n", ns])).spec.template.metadata.annotations?.[READONLY_ANNOTATION];

describe("a bad config under the engine", () => {
  test("prod: fails preview and up with the readable message, and creates nothing", async () => {
    await badConfigIsRefused(
      "prod",
      (config) => {
        config["microk8s-pipeline:registry"].storage = { type: "filesystem" };
        config["microk8s-pipeline:registry"].replicas = 3;
      },
      "microk8s-pipeline:registry.replicas = 3: must be 1 with filesystem storage",
    );
  }, 10 * MINUTES);

  test("dev: a typo of a top-level key fails the same way", async () => {
    await badConfigIsRefused(
      "dev",
      (config) => {
        config["microk8s-pipeline:regsitry"] = config["microk8s-pipeline:registry"];
        delete config["microk8s-pipeline:registry"];
      },
      "microk8s-pipeline:regsitry: unknown key",
    );
  }, 10 * MINUTES);
});

describe("prod: managed registry with htpasswd and S3, the web app by digest", () => {
  let first: DriverResult;
  let out: Record<string, any>;
  let auth: Record<string, string>;

  beforeAll(async () => {
    first = await env.op("up", "prod");
  }, 20 * MINUTES);

  test("up from an empty cluster creates everything; its one warning names the generated S3 keys to register, which npm run s3-keys prints from the state", async () => {
    succeeded(first);
    expect(first.changes.create).toBeGreaterThan(20);
    expect(warnings(first)).toEqual([expect.stringContaining("generated S3 keys for bucket container-registry: the registry cannot start until http://minio.minio.svc.cluster.local:9000 knows them")]);
    out = await outputs("prod");
    auth = basicAuth(out.registryUsername, out.registryPassword);
    expect(Object.keys(out).sort()).toEqual(["appImages", "environment", "registryCa", "registryHost", "registryMode", "registryPassword", "registryStorage", "registryUiService", "registryUsername", "s3AccessKey", "s3SecretKey"]);
    const printed = await run("bash", [path.join(env.projectDir, "scripts", "s3-keys.sh"), "prod"], { env: env.engineEnv(), cwd: env.projectDir });
    expect({ code: printed.code, stderr: printed.stderr.split("\n").filter((l) => /error|s3-keys/i.test(l)) }).toEqual({ code: 0, stderr: [] });
    expect(printed.stdout).toContain(`mc admin user add minio ${out.s3AccessKey} ${out.s3SecretKey}\n`);
  });

  test("the tag is the build inputs' commit, clean although `pulumi stack init` rewrote the stack file", async () => {
    const head = execFileSync("git", ["-C", env.projectDir, "log", "-1", "--format=%h", "--abbrev=7", "--", "app"], { encoding: "utf8" }).trim();
    const stackFile = fs.readFileSync(path.join(env.projectDir, "Pulumi.prod.yaml"), "utf8");
    expect(stackFile).toContain("encryptionsalt");
    expect(out.appImages.web.tag).toBe(`v1.0.0-git-${head}`);
  });

  test("the pushed digest is what the Deployment runs, and the moving tag points at it", async () => {
    const image: string = out.appImages.web.image;
    expect(image).toMatch(/^localhost:32000\/production\/web@sha256:[0-9a-f]{64}$/);
    const digest = image.split("@")[1];
    expect(await registryDigest("production/web", out.appImages.web.tag, auth, out.registryCa)).toBe(digest);
    expect(await registryDigest("production/web", "stable", auth, out.registryCa)).toBe(digest);
    expect(await registryDigest("production/web", "stable", {}, out.registryCa)).toBeNull();
    const deployment = await appDeployment("production");
    expect(deployment.spec.template.spec.containers[0].image).toBe(image);
    expect(deployment.status.availableReplicas).toBe(3);
    const registry = (await env.kubectl.items("deployments", "container-registry")).filter((d) => d.metadata.name.startsWith("registry-managed") && !d.metadata.name.includes("-ui"));
    expect(registry.map((d) => d.status.availableReplicas)).toEqual([2]);
  });

  test("the registry serves HTTPS only, with a certificate the exported CA signed for localhost, 127.0.0.1 and its Service; Docker trusts that CA", async () => {
    const ca = new X509Certificate(out.registryCa);
    expect(ca.ca).toBe(true);
    const plain = await runCommand("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", `http://127.0.0.1:${REGISTRY_NODE_PORT}/v2/`]);
    expect(plain.stdout).toBe("400");
    const tlsSecret = (await env.kubectl.items("secrets", "container-registry")).find((s) => s.type === "kubernetes.io/tls");
    const served = new X509Certificate(Buffer.from(tlsSecret.data["tls.crt"], "base64"));
    expect(served.verify(ca.publicKey)).toBe(true);
    expect(served.subjectAltName).toBe("DNS:localhost, DNS:registry-managed, DNS:registry-managed.container-registry, DNS:registry-managed.container-registry.svc, DNS:registry-managed.container-registry.svc.cluster.local, IP Address:127.0.0.1");
    const service = (await env.kubectl.items("services", "container-registry")).find((s) => s.metadata.name === "registry-managed");
    expect(service.spec.ports[0]).toMatchObject({ name: "https", nodePort: REGISTRY_NODE_PORT });
    expect(fs.readFileSync(`/etc/docker/certs.d/localhost:${REGISTRY_NODE_PORT}/ca.crt`, "utf8").trim()).toBe(out.registryCa.trim());
    await notInState("prod", [Buffer.from(tlsSecret.data["tls.key"], "base64").toString().split("\n")[1]]);
  });

  test("on two nodes the registry's two pods land on both, the app's three on both, and each budget allows one disruption at a time", async () => {
    expect((await env.kubectl.items("nodes")).map((n) => n.metadata.name).sort()).toEqual(["e2e-node", "e2e-node-2"]);
    const nodesOf = async (namespace: string, selector: Record<string, string>) =>
      (await env.kubectl.items("pods", namespace))
        .filter((p) => !p.metadata.deletionTimestamp && Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v))
        .map((p) => p.spec.nodeName)
        .sort();
    const registry = (await env.kubectl.items("deployments", "container-registry")).find((d) => d.metadata.name.startsWith("registry-managed") && !d.metadata.name.includes("-ui"));
    const app = await appDeployment("production");
    expect(await nodesOf("container-registry", registry.spec.selector.matchLabels)).toEqual(["e2e-node", "e2e-node-2"]);
    expect(new Set(await nodesOf("production", app.spec.selector.matchLabels))).toEqual(new Set(["e2e-node", "e2e-node-2"]));
    // The disruption controller's own reading of each budget: it selects every replica and lets one go.
    const budgetOf = async (namespace: string, deployment: any) => {
      const budgets = (await env.kubectl.items("poddisruptionbudgets", namespace)).filter((b) => JSON.stringify(b.spec.selector.matchLabels) === JSON.stringify(deployment.spec.selector.matchLabels));
      expect(budgets).toHaveLength(1);
      return eventually(`the budget of ${deployment.metadata.name}`, async () => {
        const status = (await env.kubectl.json(["get", "poddisruptionbudget", budgets[0].metadata.name, "-n", namespace])).status ?? {};
        return status.expectedPods === deployment.spec.replicas && status.currentHealthy === deployment.spec.replicas ? status : undefined;
      }, 240);
    };
    expect(await budgetOf("container-registry", registry)).toMatchObject({ expectedPods: 2, desiredHealthy: 1, disruptionsAllowed: 1 });
    expect(await budgetOf("production", app)).toMatchObject({ expectedPods: 3, desiredHealthy: 2, disruptionsAllowed: 1 });
    // Node trust: one writer on each node, both ready.
    const [trust] = await env.kubectl.items("daemonsets", "registry-node-trust");
    expect(trust.status).toMatchObject({ desiredNumberScheduled: 2, numberReady: 2 });
    expect(await nodesOf("registry-node-trust", trust.spec.selector.matchLabels)).toEqual(["e2e-node", "e2e-node-2"]);
  });

  test("the app pod pulls with the pull Secret, gets its secrets through secretKeyRef and passes its probes", async () => {
    const deployment = await appDeployment("production");
    await withAppPod("production", deployment.metadata.name, async (pod) => {
      expect(Object.keys(pod.env)).toEqual(expect.arrayContaining(["API_KEY", "DB_PASSWORD", "LOG_LEVEL"]));
      expect(pod.env.API_KEY).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(await probesPass(deployment, pod.url)).toEqual(["/health", "/ready"]);
      const root = await (await fetch(`${pod.url}/`)).json();
      expect(root).toMatchObject({ version: "1.0.0", secretsPresent: { API_KEY: true, DB_PASSWORD: true } });
    });
  });

  test("a second up changes nothing and prints no warning, and preview --expect-no-changes passes, with none either", async () => {
    await secondUpChangesNothing("prod");
  }, 10 * MINUTES);

  test("an unrelated commit and `pulumi config set` of an unrelated key change nothing", async () => {
    await unrelatedChangesChangeNothing("prod");
  }, 10 * MINUTES);

  test("turning node trust off removes its DaemonSet (each node's writer removes its files as it stops) and its namespace; on again brings them back", async () => {
    await env.pulumiOk(["config", "set", "--path", "--stack", "prod", "registry.nodeTrust.enabled", "false"]);
    const off = succeeded(await env.op("up", "prod"));
    expect(off.steps.filter((s) => s.op === "delete" && s.type.startsWith("kubernetes:")).map((s) => `${s.type} ${s.name}`).sort()).toEqual([
      "kubernetes:apps/v1:DaemonSet registry-node-trust",
      "kubernetes:core/v1:ConfigMap registry-node-trust",
      "kubernetes:core/v1:Namespace registry-node-trust-ns",
    ]);
    expect(off.steps.filter((s) => s.op !== "delete")).toEqual([]);
    expect(await env.kubectl.namespaces()).not.toContain("registry-node-trust");
    await env.pulumiOk(["config", "set", "--path", "--stack", "prod", "registry.nodeTrust.enabled", "true"]);
    succeeded(await env.op("up", "prod"));
    const [trust] = await env.kubectl.items("daemonsets", "registry-node-trust");
    expect(trust.status).toMatchObject({ desiredNumberScheduled: 2 });
    succeeded(await env.op("preview-no-changes", "prod"));
  }, 10 * MINUTES);

  test("an up within 30 days of the server certificate's end renews it and rolls the registry; the CA, and so Docker's and every node's trust, stays", async () => {
    const servedCertificate = async () => {
      const secret = (await env.kubectl.items("secrets", "container-registry")).find((s) => s.type === "kubernetes.io/tls");
      return new X509Certificate(Buffer.from(secret.data["tls.crt"], "base64"));
    };
    const before = await servedCertificate();
    const nearItsEnd = new Date(new Date(before.validTo).getTime() - 20 * 24 * 3_600_000).toISOString();
    const renewed = succeeded(await env.op("up", "prod", { TLS_DOUBLE_NOW: nearItsEnd }));
    // The server certificate alone is replaced (create-replacement, replace, delete-replaced); the CA and the keys stay.
    expect(renewed.steps.filter((s) => s.type.startsWith("tls:")).map((s) => `${s.op} ${s.name}`)).toEqual([
      "create-replacement registry-managed-certificate-cert",
      "replace registry-managed-certificate-cert",
      "delete-replaced registry-managed-certificate-cert",
    ]);
    expect(renewed.steps.map((s) => s.name)).toEqual(expect.arrayContaining(["registry-managed-tls", "registry-managed", "registry-managed-ready"]));
    const after = await servedCertificate();
    expect(after.fingerprint256).not.toBe(before.fingerprint256);
    expect(after.verify(new X509Certificate(out.registryCa).publicKey)).toBe(true);
    expect((await outputs("prod")).registryCa).toBe(out.registryCa);
    expect(await registryDigest("production/web", "stable", auth, out.registryCa)).toBe(out.appImages.web.image.split("@")[1]);
    succeeded(await env.op("preview-no-changes", "prod"));
  }, 10 * MINUTES);

  test("an app code change: its preview and up print no warning, and update only the image, the moving tag and the Deployment", async () => {
    out = await codeChangeRollsOnlyTheApp("prod", "production", out.appImages.web.image);
    expect(await registryDigest("production/web", "stable", auth, out.registryCa)).toBe(out.appImages.web.image.split("@")[1]);
  }, 10 * MINUTES);

  test("the state holds no plaintext secret, generated or set", async () => {
    await notInState("prod", [out.registryPassword, out.s3AccessKey, out.s3SecretKey, ...(await secretValuesIn("production", "app-web-secrets"))]);

    const chosen = { registryPassword: "Chosen-Registry-Pass-1", s3AccessKey: "CHOSENACCESSKEY00001", s3SecretKey: "chosen-s3-secret-key-0000000000000000001" };
    for (const [key, value] of Object.entries(chosen)) await env.pulumiOk(["config", "set", "--secret", "--stack", "prod", key, value]);
    await env.pulumiOk(["config", "set", "--secret", "--path", "--stack", "prod", "appSecrets.web.API_KEY", "chosen-api-key-0001"]);
    succeeded(await env.op("up", "prod"));
    await notInState("prod", [...Object.values(chosen), "chosen-api-key-0001"]);
    // The registry restarted with the new htpasswd: the chosen password works, the old one does not.
    out = await outputs("prod");
    expect(out.registryPassword).toBe(chosen.registryPassword);
    expect(await registryDigest("production/web", "stable", basicAuth(out.registryUsername, chosen.registryPassword), out.registryCa)).toMatch(/^sha256:/);
    expect(await registryDigest("production/web", "stable", auth, out.registryCa)).toBeNull();
  }, 15 * MINUTES);

  test("the GC window, run as its own account: it may patch only the registry Deployment's switch and lease (admission policy), a registry pod stays available, and the collector waits for the last old pod", async () => {
    await env.pulumiOk(["config", "set", "--path", "--stack", "prod", "registry.gc.enabled", "true"]);
    await env.pulumiOk(["config", "set", "--path", "--stack", "prod", "registry.gc.kubectlImage", `alpine/k8s:1.31.4@sha256:${"c".repeat(64)}`]);
    succeeded(await env.op("up", "prod"));
    const ns = "container-registry";
    const [account] = (await env.kubectl.items("serviceaccounts", ns)).filter((a) => /^registry-managed-gc-[0-9a-f]+$/.test(a.metadata.name));
    const [registry] = (await env.kubectl.items("deployments", ns)).filter((d) => /^registry-managed-[0-9a-f]+$/.test(d.metadata.name));
    const [ui] = (await env.kubectl.items("deployments", ns)).filter((d) => d.metadata.name.startsWith("registry-managed-ui"));
    const window = actingAs(ns, account.metadata.name);
    expect({
      patchRegistry: await window.canI("patch", `deployment/${registry.metadata.name}`),
      patchUi: await window.canI("patch", `deployment/${ui.metadata.name}`),
      execPods: await window.canI("create", "pods", "--subresource=exec"),
      readSecrets: await window.canI("get", "secrets"),
      listPods: await window.canI("list", "pods"),
      listJobs: await window.canI("list", "jobs"),
      deleteJobs: await window.canI("delete", "jobs"),
    }).toEqual({ patchRegistry: "yes", patchUi: "no", execPods: "no", readSecrets: "no", listPods: "no", listJobs: "yes", deleteJobs: "no" });

    // RBAC lets the account patch the whole Deployment; the admission policy lets through the switch and the lease only.
    const container = registry.spec.template.spec.containers[0].name;
    const denied = (message: string) => expect.stringMatching(new RegExp(`ValidatingAdmissionPolicy .* denied request: .*${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    const podSpecOnly = denied("the GC account may not change the registry's pod spec");
    expect({
      image: await window.tryPatch(registry.metadata.name, { spec: { template: { spec: { containers: [{ name: container, image: "evil.invalid/registry:1" }] } } } }),
      command: await window.tryPatch(registry.metadata.name, { spec: { template: { spec: { containers: [{ name: container, command: ["/bin/sh", "-c", "cat /auth/htpasswd"] }] } } } }),
      volume: await window.tryPatch(registry.metadata.name, { spec: { template: { spec: { volumes: [{ name: "host", hostPath: { path: "/" } }] } } } }),
      env: await window.tryPatch(registry.metadata.name, { spec: { template: { spec: { containers: [{ name: container, env: [{ name: "REGISTRY_LOG_LEVEL", value: "debug" }] }] } } } }),
      account: await window.tryPatch(registry.metadata.name, { spec: { template: { spec: { serviceAccountName: "default" } } } }),
      replicas: await window.tryPatch(registry.metadata.name, { spec: { replicas: 0 } }, "merge"),
      otherAnnotation: await window.tryPatch(registry.metadata.name, { spec: { template: { metadata: { annotations: { "checksum/credentials": "x" } } } } }, "merge"),
      switchRemoved: await window.tryPatch(registry.metadata.name, { spec: { template: { metadata: { annotations: { [READONLY_ANNOTATION]: null } } } } }, "merge"),
      switchToOtherValue: await window.tryPatch(registry.metadata.name, { spec: { template: { metadata: { annotations: { [READONLY_ANNOTATION]: '{"enabled":true,"x":1}' } } } } }, "merge"),
      label: await window.tryPatch(registry.metadata.name, { metadata: { labels: { extra: "x" } } }, "merge"),
      leaseNotATime: await window.tryPatch(registry.metadata.name, { metadata: { annotations: { "microk8s-pipeline/gc-window-expires": "never" } } }, "merge"),
      switchOn: await window.tryPatch(registry.metadata.name, { spec: { template: { metadata: { annotations: { [READONLY_ANNOTATION]: READONLY_VALUE } } } } }, "merge"),
      lease: await window.tryPatch(registry.metadata.name, { metadata: { annotations: { "microk8s-pipeline/gc-window-expires": "1900000000" } } }, "merge"),
    }).toEqual({
      image: podSpecOnly,
      command: podSpecOnly,
      volume: podSpecOnly,
      env: podSpecOnly,
      account: podSpecOnly,
      replicas: denied("may not change the registry Deployment's replicas"),
      otherAnnotation: denied(`may change only the ${READONLY_ANNOTATION} annotation of the registry's pod template`),
      switchRemoved: denied(`the GC switch ${READONLY_ANNOTATION} must stay set`),
      switchToOtherValue: denied(`the GC switch ${READONLY_ANNOTATION} must stay set`),
      label: denied("may change only the microk8s-pipeline/gc-window-expires annotation"),
      leaseNotATime: denied("must be a Unix time"),
      switchOn: "allowed",
      lease: "allowed",
    });
    // The policy binds the GC accounts only: the same image patch by the cluster's admin passes admission.
    const admin = await runCommand(env.kubectl.binary, ["--kubeconfig", env.kubectl.kubeconfig, "-n", ns, "patch", "deployment", registry.metadata.name, "--dry-run=server", "-p", JSON.stringify({ spec: { template: { spec: { containers: [{ name: container, image: "other.invalid/registry:1" }] } } } })]);
    expect({ code: admin.code, stderr: admin.stderr }).toEqual({ code: 0, stderr: "" });

    // The registry's pods as they are now are held Terminating by a finalizer, as pods draining would be.
    const selector = Object.entries<string>(registry.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(",");
    const oldPods: string[] = (await env.kubectl.json(["get", "pods", "-l", selector, "-n", ns])).items.map((p: any) => p.metadata.name);
    expect(oldPods).toHaveLength(2);
    const finalizers = (value: string[] | null) => Promise.all(oldPods.map((p) => env.kubectl.json(["patch", "pod", p, "-n", ns, "--type=merge", "-p", JSON.stringify({ metadata: { finalizers: value } })])));
    await finalizers(["e2e.test/draining"]);

    // The window's own script, as the job's account (the collector's part already done).
    const shared = tempDir("gc-window");
    fs.writeFileSync(path.join(shared, "collected"), "0\n");
    const watch = spawn(env.kubectl.binary, ["--kubeconfig", env.kubectl.kubeconfig, "-n", ns, "get", "deployment", registry.metadata.name, "--watch", "-o", "jsonpath={.status.availableReplicas}{\"\\n\"}"]);
    let seen = "";
    watch.stdout.on("data", (d) => (seen += d));
    const cmdlines = watchCmdlines(20);
    // The window's own Job, whose turn it reads as its account (list on Jobs): nothing of this registry's maintenance started before it.
    const ownJob = await maintenanceJob(ns, registry.metadata.name, "e2e-gc-window-own");
    const run = startScript(gcWindowScript(ns, registry.metadata.name, shared, { ...GC_TIMEOUTS, rolloutSeconds: 240, collectSeconds: 10 }), { ...window.env, JOB_NAME: ownJob });
    await eventually("the window waiting for the old pods", async () => (run.output().includes("waiting for 2 read-write registry pod(s) to stop") ? true : undefined), 480);
    // Read-only is rolled out, but two read-write pods still drain: the collector has not been told to start.
    expect(fs.existsSync(path.join(shared, "readonly"))).toBe(false);
    await finalizers(null);
    const ran = await run.exited;
    watch.kill();
    // The window's kubectl calls carry no credential on their command lines (its token is a mounted file).
    const seenLines = await cmdlines.stop();
    expect(seenLines.some((l) => l.includes(`patch deployment/${registry.metadata.name}`))).toBe(true);
    const current = await outputs("prod");
    expect(carrying(seenLines, [current.registryPassword, current.s3SecretKey].filter((v): v is string => typeof v === "string"))).toEqual([]);
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: "" });
    expect(ran.stdout.indexOf("registry is read-only")).toBeGreaterThan(ran.stdout.indexOf("waiting for 2 read-write registry pod(s) to stop"));
    const available = seen.trim().split("\n");
    expect(available.length).toBeGreaterThan(2);
    expect(available.filter((n) => !(Number(n) >= 1))).toEqual([]);
    expect(await readOnlyValue(ns, registry.metadata.name)).toBe(WRITABLE_VALUE);
  }, 15 * MINUTES);

  test("a GC window killed mid-way: its guard, as its own account, gives the registry back once the lease expires; so does pulumi up --refresh", async () => {
    const ns = "container-registry";
    const [registry] = (await env.kubectl.items("deployments", ns)).filter((d) => /^registry-managed-[0-9a-f]+$/.test(d.metadata.name));
    const accounts = (await env.kubectl.items("serviceaccounts", ns)).map((a) => a.metadata.name);
    const windowAccount = accounts.find((a: string) => /^registry-managed-gc-[0-9a-f]+$/.test(a));
    const guardAccount = accounts.find((a: string) => /^registry-managed-gc-guard-[0-9a-f]+$/.test(a));
    const [guardJob] = (await env.kubectl.items("cronjobs", ns)).filter((c) => c.metadata.name.startsWith("registry-managed-gc-guard"));
    expect(guardJob.spec.schedule).toBe("*/5 * * * *");
    expect(guardJob.spec.jobTemplate.spec.template.spec.serviceAccountName).toBe(guardAccount);
    const guard = actingAs(ns, guardAccount);
    expect({
      patchRegistry: await guard.canI("patch", `deployment/${registry.metadata.name}`),
      readSecrets: await guard.canI("get", "secrets"),
      listPods: await guard.canI("list", "pods"),
    }).toEqual({ patchRegistry: "yes", readSecrets: "no", listPods: "no" });

    /** Starts a window, SIGKILLs it once the registry is read-only (its trap never runs), and shows the registry left read-only. */
    const killWindow = async () => {
      const shared = tempDir("gc-killed");
      const run = startScript(gcWindowScript(ns, registry.metadata.name, shared, { ...GC_TIMEOUTS, leaseSeconds: 30, renewSeconds: 2 }), { ...actingAs(ns, windowAccount).env, JOB_NAME: "e2e-gc-window-own" });
      await eventually("the window switching read-only on", async () => (run.output().includes("registry is read-only") ? true : undefined), 480);
      run.kill();
      await run.exited;
      expect(await readOnlyValue(ns, registry.metadata.name)).toBe(READONLY_VALUE);
    };
    const guardOnce = async () => {
      const ran = await startScript(gcGuardScript(ns, registry.metadata.name), guard.env).exited;
      expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: "" });
      return ran.stdout;
    };

    await killWindow();
    // The dead window's lease is still running: the guard leaves it alone, then acts once it has expired.
    expect(await guardOnce()).toContain("a GC window holds read-only until");
    const restored = await eventually("the guard switching read-only off", async () => {
      const said = await guardOnce();
      return said.includes("switching read-only off") ? said : undefined;
    }, 30, 3000);
    expect(restored).toContain("registry read-only mode off");
    expect(await readOnlyValue(ns, registry.metadata.name)).toBe(WRITABLE_VALUE);
    expect(await guardOnce()).toContain("registry is writable");

    await killWindow();
    const refreshed = succeeded(await env.op("up-refresh", "prod"));
    expect(refreshed.steps.filter((s) => s.op === "update").map((s) => `${s.type} ${s.name}`)).toEqual(["kubernetes:apps/v1:Deployment registry-managed"]);
    expect(await readOnlyValue(ns, registry.metadata.name)).toBe(WRITABLE_VALUE);
    succeeded(await env.op("preview-no-changes", "prod"));
    await env.kubectl.ok(["-n", ns, "delete", "job", "e2e-gc-window-own"]);
  }, 15 * MINUTES);

  test("scheduled retention: registry-prune built from this repository and run by digest; its account lists the workload kinds everywhere and nothing else; as that account it waits its turn behind an earlier GC Job, then keeps what the cluster runs", async () => {
    const ns = "container-registry";
    await env.pulumiOk(["config", "set", "--path", "--stack", "prod", "registry.retention.enabled", "true"]);
    const enabled = succeeded(await env.op("up", "prod"));
    expect(enabled.steps.filter((s) => s.op === "create").map((s) => s.type)).toEqual(expect.arrayContaining(["docker:index/image:Image", "kubernetes:batch/v1:CronJob", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"]));
    succeeded(await env.op("preview-no-changes", "prod"));
    const current = await outputs("prod");
    const [cron] = (await env.kubectl.items("cronjobs", ns)).filter((c) => c.metadata.name.startsWith("registry-managed-retention"));
    const pod = cron.spec.jobTemplate.spec.template.spec;
    const image: string = pod.containers[0].image;
    expect(image).toMatch(/^localhost:32000\/container-registry\/registry-prune@sha256:[0-9a-f]{64}$/);
    expect(await registryDigest("container-registry/registry-prune", image.split("@")[1], basicAuth(current.registryUsername, current.registryPassword), current.registryCa)).toBe(image.split("@")[1]);
    const [registry] = (await env.kubectl.items("deployments", ns)).filter((d) => /^registry-managed-[0-9a-f]+$/.test(d.metadata.name));
    expect(cron.spec.jobTemplate.metadata.labels["microk8s-pipeline/maintains"]).toBe(registry.metadata.name);

    const account: string = pod.serviceAccountName;
    const retention = actingAs(ns, account);
    const kinds = ["pods", "replicasets.apps", "deployments.apps", "statefulsets.apps", "daemonsets.apps", "jobs.batch", "cronjobs.batch"];
    const lists = await Promise.all(kinds.map((k) => retention.canI("list", k, "--all-namespaces")));
    expect(Object.fromEntries(kinds.map((k, i) => [k, lists[i]]))).toEqual(Object.fromEntries(kinds.map((k) => [k, "yes"])));
    expect({
      getPod: await retention.canI("get", "pods", "--all-namespaces"),
      watchPods: await retention.canI("watch", "pods", "--all-namespaces"),
      readSecrets: await retention.canI("get", "secrets"),
      listSecrets: await retention.canI("list", "secrets", "--all-namespaces"),
      listConfigMaps: await retention.canI("list", "configmaps", "--all-namespaces"),
      deletePods: await retention.canI("delete", "pods"),
      patchRegistry: await retention.canI("patch", `deployment/${registry.metadata.name}`),
      createJobs: await retention.canI("create", "jobs"),
      execPods: await retention.canI("create", "pods", "--subresource=exec"),
    }).toEqual({ getPod: "no", watchPods: "no", readSecrets: "no", listSecrets: "no", listConfigMaps: "no", deletePods: "no", patchRegistry: "no", createJobs: "no", execPods: "no" });

    // The account's own token, as the pod would read it, in a kubeconfig for registry-prune (the client library, not kubectl).
    const token = (await env.kubectl.text(["-n", ns, "create", "token", account, "--duration=10m"])).trim();
    const admin = YAML.parse(fs.readFileSync(env.kubectl.kubeconfig, "utf8"));
    const cluster = admin.clusters[0];
    const asAccount = path.join(tempDir("retention-kubeconfig"), "kubeconfig");
    fs.writeFileSync(asAccount, YAML.stringify({ apiVersion: "v1", kind: "Config", clusters: [cluster], users: [{ name: account, user: { token } }], contexts: [{ name: "a", context: { cluster: cluster.name, user: account } }], "current-context": "a" }));
    // Two maintenance Jobs of this registry: a GC window first, then a retention run (a second later, so
    // creation time alone orders them).
    await maintenanceJob(ns, registry.metadata.name, "e2e-gc-window");
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await maintenanceJob(ns, registry.metadata.name, "e2e-retention-run");
    const caFile = path.join(tempDir("retention-ca"), "ca.crt");
    fs.writeFileSync(caFile, current.registryCa);
    const pruneAs = (extra: string[]) =>
      run(process.execPath, [path.join(REPO_ROOT, "dist", "prune", "cli.js"), "--registry", `https://localhost:${REGISTRY_NODE_PORT}`, "--ca-file", caFile, "--username", current.registryUsername, "--keep", "1", "--kubeconfig", asAccount, "--wait-turn", `${ns}/e2e-retention-run`, ...extra], {
        env: { PATH: process.env.PATH ?? "", REGISTRY_PASSWORD: current.registryPassword },
      });
    const behind = await pruneAs(["--wait-turn-timeout", "3", "--yes"]);
    expect({ code: behind.code, stdout: behind.stdout }).toEqual({ code: 2, stdout: "" });
    expect(behind.stderr).toContain("waiting for e2e-gc-window (maintenance of");
    expect(behind.stderr).toContain("registry-prune: its turn (--wait-turn): e2e-gc-window still running after 3s; nothing was deleted");
    await env.kubectl.ok(["-n", ns, "delete", "job", "e2e-gc-window"]);
    const ran = await pruneAs(["--in-use-from-cluster", "--json"]);
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: "" });
    const report = JSON.parse(ran.stdout);
    // Every image of the app stays (the running one is the newest; an older digest kept because an old
    // ReplicaSet names it is shown against a real control plane in test/integration/pruneInUse.int.test.ts).
    const webDigest = current.appImages.web.image.split("@")[1];
    const web = report.plan.filter((e: any) => e.repo === "production/web");
    expect(web.map((e: any) => e.digest)).toContain(webDigest);
    expect(web.filter((e: any) => e.action !== "keep")).toEqual([]);
    expect(report.summary.tagsKeptInUse).toEqual(expect.any(Number));
    expect(report.plan.find((e: any) => e.repo === "container-registry/registry-prune").why).toMatch(/^(newest 1 of 1|in use by container-registry\/cronjob\/registry-managed-retention)/);
    await env.kubectl.ok(["-n", ns, "delete", "job", "e2e-retention-run"]);

    await env.pulumiOk(["config", "rm", "--path", "--stack", "prod", "registry.retention.enabled"]);
    const disabled = succeeded(await env.op("up", "prod"));
    expect(disabled.steps.filter((s) => s.op === "delete").map((s) => s.type)).toEqual(expect.arrayContaining(["kubernetes:batch/v1:CronJob", "docker:index/image:Image"]));
    expect((await env.kubectl.items("cronjobs", ns)).filter((c) => c.metadata.name.startsWith("registry-managed-retention"))).toEqual([]);
  }, 15 * MINUTES);

  test("the vulnerability gate stops the update on the advisory, passes once it is accepted with a reason, and does not run again", async () => {
    const deployed = (await appDeployment("production")).spec.template.spec.containers[0].image;
    const set = (key: string, value: string) => env.pulumiOk(["config", "set", "--path", "--stack", "prod", `images.scan.${key}`, value]);
    await set("enabled", "true");
    await set("trivy", path.join(GO_TOOLS_DIR, "trivy"));
    await set("cacheDir", path.join(REPO_ROOT, ".test-env", "trivy-cache"));
    await set("offline", "true");
    const refused = await env.op("up", "prod");
    expect(refused.ok).toBe(false);
    const shown = `${refused.stdout}\n${refused.error}`;
    expect(shown).toMatch(/prom-client.*GHSA-9xm2-fx7q-p3c4.*HIGH.*15\.1\.3.*15\.1\.4/);
    expect(shown).toContain(`vulnerability gate: ${deployed} has findings of severity HIGH,CRITICAL`);
    expect((await appDeployment("production")).spec.template.spec.containers[0].image).toBe(deployed);

    await set("ignore[0].id", "GHSA-9xm2-fx7q-p3c4");
    await set("ignore[0].reason", "test fixture: prom-client's metrics endpoint is cluster-internal");
    succeeded(await env.op("up", "prod"));
    expect((await outputs("prod")).appImages.web.vulnerabilities).toEqual({ CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 });
    succeeded(await env.op("preview-no-changes", "prod"));
  }, 15 * MINUTES);

  test("a new bucket or prefix is refused at preview and at up, naming each key and the opt-in, and nothing changes", async () => {
    const set = (key: string, value: string) => env.pulumiOk(["config", "set", "--path", "--stack", "prod", `registry.storage.${key}`, value]);
    await set("bucket", "another-bucket");
    await set("rootDirectory", "/elsewhere");
    try {
      for (const operation of ["preview", "up"] as const) {
        const refused = await env.op(operation, "prod");
        expect(refused.ok).toBe(false);
        const shown = `${refused.stdout}\n${refused.error}`;
        expect(shown).toContain(
          'error: Invalid config for stack "prod":\n  - microk8s-pipeline:registry.storage.bucket = "another-bucket": the registry\'s images are stored under storage.bucket "container-registry" (recorded by the last update)',
        );
        expect(shown).toContain('pulumi config set --path registry.allowReplaceFrom.storage.bucket "container-registry"');
        expect(shown).toContain('  - microk8s-pipeline:registry.storage.rootDirectory = "/elsewhere": the registry\'s images are stored under storage.rootDirectory "/registry"');
        expect(refused.steps).toEqual([]);
      }
    } finally {
      await set("bucket", "container-registry");
      await set("rootDirectory", "/registry");
    }
    succeeded(await env.op("preview-no-changes", "prod"));
  }, 10 * MINUTES);

  test("a namespace move (S3 storage): the registry moves with its fixed NodePort, nothing is half-applied, and its images are still served", async () => {
    const before = await outputs("prod");
    await env.pulumiOk(["config", "set", "--path", "--stack", "prod", "registry.namespace", "registry-moved"]);
    const moved = succeeded(await env.op("up", "prod"));
    expect(moved.steps.filter((s) => s.type === "kubernetes:core/v1:Service" && s.name === "registry-managed").map((s) => s.op)).toContain("delete-replaced");
    const namespaces = await env.kubectl.namespaces();
    expect(namespaces).toContain("registry-moved");
    expect(namespaces).not.toContain("container-registry");
    const [service] = (await env.kubectl.items("services", "registry-moved")).filter((s) => s.spec.type === "NodePort");
    expect(service.spec.ports[0].nodePort).toBe(32000);
    const digest = before.appImages.web.image.split("@")[1];
    expect(await registryDigest("production/web", "stable", basicAuth(before.registryUsername, before.registryPassword), before.registryCa)).toBe(digest);
    await secondUpChangesNothing("prod");
  }, 15 * MINUTES);

  test("destroy leaves no namespace of ours", async () => {
    succeeded(await env.op("destroy", "prod"));
    expect(await stateResources("prod")).toEqual([]);
    expect(await env.kubectl.namespaces()).toEqual([]);
  }, 10 * MINUTES);
});

describe("prod on a filesystem volume: no config change or destroy loses the volume", () => {
  const stack = "prodfs";
  const ns = "container-registry";
  const registryOf = (config: Record<string, any>) => config["microk8s-pipeline:registry"];

  beforeAll(() => {
    env.addStack(stack, "prod", (config) => {
      Object.assign(registryOf(config), { replicas: 1, storage: { type: "filesystem", size: "20Gi" }, ui: { enabled: false } });
      config["microk8s-pipeline:apps"] = [];
    });
  });

  test("up creates the registry on its claim and records where the images live", async () => {
    succeeded(await env.op("up", stack));
    expect(await claimsIn(ns)).toEqual([expect.stringMatching(/^registry-managed-data-[0-9a-z]+ 20Gi$/)]);
    expect((await outputs(stack)).registryStorage).toEqual({ mode: "managed", namespace: ns, "storage.type": "filesystem", "storage.size": "20Gi", "storage.storageClass": "(cluster default)" });
  }, 15 * MINUTES);

  test("a new storage class or namespace fails at preview, naming each key and the migration, before anything changes", async () => {
    await env.pulumiOk(["config", "set", "--path", "--stack", stack, "registry.storage.storageClass", "standard"]);
    await env.pulumiOk(["config", "set", "--path", "--stack", stack, "registry.namespace", "registry-elsewhere"]);
    try {
      const refused = await env.op("preview", stack);
      expect(refused.ok).toBe(false);
      const shown = `${refused.stdout}\n${refused.error}`;
      expect(shown).toContain(`error: Invalid config for stack "${stack}":\n  - microk8s-pipeline:registry.namespace = "registry-elsewhere": the registry's images are stored under namespace "container-registry"`);
      expect(shown).toContain('  - microk8s-pipeline:registry.storage.storageClass = "standard": the registry\'s images are stored under storage.storageClass "(cluster default)" (recorded by the last update), and this change replaces the volume');
      expect(shown).toContain("Copy the images first (skopeo sync --all, or regctl image copy");
    } finally {
      await env.pulumiOk(["config", "set", "--path", "--stack", stack, "registry.namespace", ns]);
    }
  }, 10 * MINUTES);

  test("the opt-in naming the old storage class lets the change through; the old claim is kept, not deleted", async () => {
    const [oldClaim] = await claimsIn(ns);
    await env.pulumiOk(["config", "set", "--path", "--stack", stack, "registry.allowReplaceFrom.storage.storageClass", "(cluster default)"]);
    const result = succeeded(await env.op("up", stack));
    expect(result.steps.filter((s) => s.type === "kubernetes:core/v1:PersistentVolumeClaim").map((s) => s.op)).toContain("replace");
    const claims = await claimsIn(ns);
    expect(claims).toHaveLength(2);
    expect(claims).toContain(oldClaim);
    expect((await outputs(stack)).registryStorage["storage.storageClass"]).toBe("standard");
    // Left in place, the opt-in names a value no longer recorded: it lets nothing else through.
    await env.pulumiOk(["config", "set", "--path", "--stack", stack, "registry.storage.storageClass", "fast"]);
    expect((await env.op("preview", stack)).ok).toBe(false);
    await env.pulumiOk(["config", "set", "--path", "--stack", stack, "registry.storage.storageClass", "standard"]);
  }, 15 * MINUTES);

  test("destroy completes, says it kept the claim and its namespace, and keeps them with the images", async () => {
    const destroyed = succeeded(await env.op("destroy", stack));
    expect(destroyed.stdout).toMatch(/kubernetes:core\/v1:PersistentVolumeClaim registry-managed-data deleted \([\d.]+s\)\s*\[retain\]/);
    expect(destroyed.stdout).toMatch(/kubernetes:core\/v1:Namespace registry-managed-ns deleted \([\d.]+s\)\s*\[retain\]/);
    expect(await stateResources(stack)).toEqual([]);
    expect(await env.kubectl.namespaces()).toEqual([ns]);
    expect(await claimsIn(ns)).toHaveLength(2);
    expect((await env.kubectl.items("deployments", ns))).toEqual([]);
  }, 10 * MINUTES);

  test("with storage.deleteOnDestroy, destroy deletes the volume and its namespace", async () => {
    // The README's removal of a kept volume, then a stack that asks destroy to delete it.
    await env.kubectl.ok(["delete", "namespace", ns, "--wait=false"]);
    await eventually("the kept namespace to go", async () => ((await env.kubectl.namespaces()).includes(ns) ? undefined : true), 240, 500);
    await env.pulumiOk(["config", "set", "--path", "--stack", stack, "registry.storage.deleteOnDestroy", "true"]);
    succeeded(await env.op("up", stack));
    const destroyed = succeeded(await env.op("destroy", stack));
    expect(destroyed.stdout).not.toContain("[retain]");
    expect(await env.kubectl.namespaces()).toEqual([]);
  }, 15 * MINUTES);
});

/** Objects as a killed create leaves them, in a namespace the interrupted stack has made by then. */
/** The pending operations in a stack's checkpoint file as the engine last wrote it (0 while it is being replaced). */
function checkpointPending(stack: string): number {
  const file = path.join(env.root, "state", ".pulumi", "stacks", "microk8s-pipeline", `${stack}.json`);
  try {
    return (JSON.parse(fs.readFileSync(file, "utf8")).checkpoint?.latest?.pending_operations ?? []).length;
  } catch {
    return 0;
  }
}

function plantedOrphans(stack: string) {
  const labels = (owner: string) => ({ "app.kubernetes.io/part-of": "microk8s-pipeline", "app.kubernetes.io/managed-by": "pulumi", "microk8s-pipeline/stack": owner });
  const metadata = (name: string, owner: string) => ({ name, namespace: "container-registry", labels: labels(owner) });
  const selector = { "app.kubernetes.io/name": "orphan-web" };
  return {
    apiVersion: "v1",
    kind: "List",
    items: [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: metadata("orphan-web", stack),
        spec: { replicas: 0, selector: { matchLabels: selector }, template: { metadata: { labels: selector }, spec: { containers: [{ name: "web", image: "orphan.invalid/web:1" }] } } },
      },
      { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: metadata("orphan-data", stack), spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
      { apiVersion: "v1", kind: "Secret", metadata: metadata("other-stack", "prod"), stringData: { key: "value" } },
    ],
  };
}

describe("an interrupted first up: SIGKILL during the image push, then the README's recovery", () => {
  const stack = "prodkill";

  // A prefix of its own in the bucket: what is served after the recovery was pushed by this stack alone.
  beforeAll(() => env.addStack(stack, "prod", (config) => void (config["microk8s-pipeline:registry"].storage.rootDirectory = "/prodkill")));
  const recover = () => run("bash", [path.join(env.projectDir, "scripts", "recover.sh"), stack], { env: env.engineEnv(), cwd: env.projectDir });
  // Whatever the test saw, the next scenarios need the cluster (and NodePort 32000) back.
  afterAll(async () => {
    await recover();
    await env.op("destroy", stack);
  }, 10 * MINUTES);

  test("a further up completes with no duplicate in the state and no lost resource, the recovery removes what the kill left outside the state (keeping claims), and the image pushed before the kill is served", async () => {
    const events = path.join(env.root, "prodkill-events.jsonl");
    const driver = path.join(env.projectDir, "test", "e2e", "driver.js");
    const child = spawn(process.execPath, [driver, "up", env.projectDir, stack, path.join(env.root, "prodkill-result.json")], {
      env: { ...env.engineEnv(), E2E_EVENTS_FILE: events },
      cwd: env.projectDir,
      detached: true,
      stdio: "ignore",
    });
    let done = false;
    const exited = new Promise((resolve) => child.on("close", resolve)).then(() => (done = true));
    // The primary tag's manifest is in the registry: the push is done for it, and the rest of the update (the
    // moving tag, the Deployment) is still to come.
    for (let polls = 0; !/PUT \/v2\/production\/web\/manifests\/v1\.0\.0-git-/.test(await env.player.logs()); polls++) {
      if (done) throw new Error(`the up ended before the kill: ${fs.readFileSync(path.join(env.root, "prodkill-result.json"), "utf8").slice(-2000)}`);
      if (polls > 1200) throw new Error("no push of production/web was seen in 10 minutes");
      await new Promise((r) => setTimeout(r, 500));
    }
    // The kill comes while the checkpoint holds a step in flight: between two steps it would hold none, and
    // the recovery would have nothing to show.
    for (let polls = 0; checkpointPending(stack) === 0; polls++) {
      if (done) throw new Error(`the up ended with no step in flight seen after the push: ${fs.readFileSync(path.join(env.root, "prodkill-result.json"), "utf8").slice(-2000)}`);
      if (polls > 6000) throw new Error("no step in flight was seen in 10 minutes after the push");
      await new Promise((r) => setTimeout(r, 100));
    }
    process.kill(-(child.pid as number), "SIGKILL");
    await exited;
    const started = fs.readFileSync(events, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(started.some((e) => e.type === "kubernetes:apps/v1:Deployment" && e.name === "registry-managed" && e.phase === "done")).toBe(true);
    // Which steps were still in flight (the moving tag's push, the app's Deployment) depends on how fast the
    // engine went on after the primary push; that the kill came mid-update, the pending operations below say.

    // The killed engine left its lock and pending creates: the README's recovery, scripts/recover.sh.
    expect(fs.readdirSync(path.join(env.root, "state", ".pulumi", "locks", "organization", "microk8s-pipeline", stack)).filter((f) => f.endsWith(".json"))).toHaveLength(1);
    const pending = JSON.parse(await env.pulumiOk(["stack", "export", "--stack", stack])).deployment.pending_operations ?? [];
    expect(pending.length).toBeGreaterThan(0);
    // What an unrecorded create leaves, planted so the test does not hang on the kill's timing: a Deployment
    // of this stack (removed), a claim of this stack (kept and named), and a Secret of another stack (untouched).
    const planted = path.join(env.root, "prodkill-orphans.json");
    fs.writeFileSync(planted, JSON.stringify(plantedOrphans(stack)));
    await env.kubectl.ok(["apply", "-f", planted]);
    const recovered = await recover();
    expect({ code: recovered.code, stderr: recovered.stderr.split("\n").filter((l) => /error/i.test(l)) }).toEqual({ code: 0, stderr: [] });
    expect(recovered.stdout).toContain(`recover: ${stack} has no pending operation left`);
    const halfCreated = pending.filter((op: any) => op.resource.type === "kubernetes:apps/v1:Deployment" && op.resource.inputs.metadata.namespace === "production");
    for (const op of halfCreated) expect(recovered.stdout).toContain(`recover: adopting Deployment.v1.apps production/${op.resource.inputs.metadata.name}, created before the kill`);
    expect(recovered.stdout).toContain("recover: deleting deployments.apps container-registry/orphan-web: this stack made it as the update was killed, and the state does not hold it");
    expect(recovered.stdout).toContain("recover: kept persistentvolumeclaims container-registry/orphan-data, which the state does not hold (it may hold images)");
    expect(recovered.stdout).not.toContain("other-stack");
    await eventually("the orphan Deployment's removal", async () => ((await env.kubectl.items("deployments", "container-registry")).some((d) => d.metadata.name === "orphan-web") ? undefined : true), 60);
    expect((await env.kubectl.items("persistentvolumeclaims", "container-registry")).map((c) => c.metadata.name)).toContain("orphan-data");
    expect((await env.kubectl.items("secrets", "container-registry")).map((c) => c.metadata.name)).toContain("other-stack");

    const again = succeeded(await env.op("up", stack));
    expect(again.steps.filter((s) => s.op === "delete" || s.op === "replace")).toEqual([]);
    const state = JSON.parse(await env.pulumiOk(["stack", "export", "--stack", stack]));
    const urns: string[] = state.deployment.resources.map((r: { urn: string }) => r.urn);
    expect(urns.length).toBe(new Set(urns).size);
    expect(state.deployment.pending_operations ?? []).toEqual([]);
    const registries = (await env.kubectl.items("deployments", "container-registry")).filter((d) => /^registry-managed-[0-9a-f]+$/.test(d.metadata.name));
    expect(registries).toHaveLength(1);
    // The cluster holds exactly the app Deployment of the state: whatever the kill left outside it is gone.
    const inState = state.deployment.resources.filter((r: { type: string; urn: string }) => r.type === "kubernetes:apps/v1:Deployment" && r.urn.endsWith("::app-web"));
    expect(inState).toHaveLength(1);
    expect((await env.kubectl.items("deployments", "production")).map((d) => `production/${d.metadata.name}`)).toEqual([inState[0].id]);

    const out = await outputs(stack);
    const auth = basicAuth(out.registryUsername, out.registryPassword);
    expect(await registryDigest("production/web", out.appImages.web.tag, auth, out.registryCa)).toBe(out.appImages.web.image.split("@")[1]);
    await secondUpChangesNothing(stack);
    succeeded(await env.op("destroy", stack));
    expect(await env.kubectl.namespaces()).toEqual([]);
  }, 30 * MINUTES);
});

describe("dev: the MicroK8s registry addon (stand-in), the web app by digest", () => {
  let first: DriverResult;
  beforeAll(async () => {
    first = await env.op("up", "dev");
  }, 20 * MINUTES);

  test("up enables the addon, pushes without credentials and runs the pushed digest, with no warning", async () => {
    succeeded(first);
    expect(warnings(first)).toEqual([]);
    expect(env.microk8sCalls()).toContain("microk8s enable registry --size 20Gi");
    const out = await outputs("dev");
    expect(Object.keys(out).sort()).toEqual(["appImages", "environment", "registryHost", "registryMode", "registryStorage"]);
    const digest = out.appImages.web.image.split("@")[1];
    expect(await registryDigest("dev/web", out.appImages.web.tag)).toBe(digest);
    expect(await registryDigest("dev/web", "latest")).toBe(digest);
    const deployment = await appDeployment("dev");
    expect(deployment.spec.template.spec.imagePullSecrets).toBeUndefined();
    await withAppPod("dev", deployment.metadata.name, async (pod) => {
      expect(await probesPass(deployment, pod.url)).toEqual(["/health", "/ready"]);
      expect(pod.env.LOG_LEVEL).toBe("debug");
    });
  });

  test("a second up changes nothing and prints no warning, and preview --expect-no-changes passes, with none either", async () => {
    await secondUpChangesNothing("dev");
  }, 10 * MINUTES);

  test("an unrelated commit and `pulumi config set` of an unrelated key change nothing", async () => {
    await unrelatedChangesChangeNothing("dev");
  }, 10 * MINUTES);

  test("an app code change: its preview and up print no warning, and update only the image, the moving tag and the Deployment", async () => {
    const out = await codeChangeRollsOnlyTheApp("dev", "dev", (await outputs("dev")).appImages.web.image);
    expect(await registryDigest("dev/web", "latest")).toBe(out.appImages.web.image.split("@")[1]);
  }, 10 * MINUTES);

  test("the state holds no plaintext app secret, generated or set", async () => {
    await notInState("dev", await secretValuesIn("dev", "app-web-secrets"));
    await env.pulumiOk(["config", "set", "--secret", "--path", "--stack", "dev", "appSecrets.web.DB_PASSWORD", "chosen-dev-db-password"]);
    succeeded(await env.op("up", "dev"));
    expect(await secretValuesIn("dev", "app-web-secrets")).toContain("chosen-dev-db-password");
    await notInState("dev", ["chosen-dev-db-password"]);
  }, 10 * MINUTES);

  test("switching to SSH keeps the addon enabled: the local command is dropped, and no disable runs", async () => {
    const before = env.microk8sCalls().length;
    await env.pulumiOk(["config", "set", "--path", "--stack", "dev", "registry.ssh.host", "127.0.0.1"]);
    await env.pulumiOk(["config", "set", "--path", "--stack", "dev", "registry.ssh.user", "e2e"]);
    await env.pulumiOk(["config", "set", "--secret", "--stack", "dev", "sshPrivateKey", "e2e-not-a-key"]);
    const switched = succeeded(await env.op("up", "dev"));
    // `up --diff` shows the retained delete as `(delete[retain])` above the resource's URN.
    expect(switched.stdout).toMatch(/- command:local:Command: \(delete\[retain\]\)\n\s+\[id=[^\]]+\]\n\s+\[urn=[^\]]*command:local:Command::registry-addon-enable\]/);
    expect(env.microk8sCalls().slice(before)).toEqual(["microk8s enable registry --size 20Gi"]);
    expect(await registryDigest("dev/web", "latest")).toMatch(/^sha256:/);
  }, 10 * MINUTES);

  test("destroy keeps the addon and its images, and says so", async () => {
    const destroyed = succeeded(await env.op("destroy", "dev"));
    expect(destroyed.stdout).toMatch(/command:remote:Command registry-addon-enable deleted \([\d.]+s\)\s*\[retain\]/);
    expect(env.microk8sCalls()).not.toContain("microk8s disable registry");
    expect(await stateResources("dev")).toEqual([]);
    expect(await env.kubectl.namespaces()).toEqual(["container-registry"]);
  }, 10 * MINUTES);

  test("with disableOnDestroy, destroy disables the addon and leaves no namespace of ours", async () => {
    await env.pulumiOk(["config", "set", "--path", "--stack", "dev", "registry.disableOnDestroy", "true"]);
    succeeded(await env.op("up", "dev"));
    const destroyed = succeeded(await env.op("destroy", "dev"));
    expect(destroyed.stdout).not.toContain("[retain]");
    expect(env.microk8sCalls()).toContain("microk8s disable registry");
    expect(await env.kubectl.namespaces()).toEqual([]);
  }, 15 * MINUTES);
});
