import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { htpasswdAccepts } from "../../lib/htpasswd";
import { evaluate, Evaluation, EvaluateOptions, find, isSecretAt, k8sName, ofType, Recorded, stackConfig, TYPES } from "../harness";

/** The one input of each provider resource that may hold a credential, always as a Pulumi secret. */
const CREDENTIAL_INPUTS: Record<string, string> = {
  "docker:index/image:Image": "registry",
  "tls:index/selfSignedCert:SelfSignedCert": "privateKeyPem",
  "tls:index/certRequest:CertRequest": "privateKeyPem",
  "tls:index/locallySignedCert:LocallySignedCert": "caPrivateKeyPem",
  "command:remote:Command": "connection",
  "command:local:Command": "environment",
};

/**
 * Runs a declared wait script with stubs for curl (answering `statuses` in turn, the last one from then on)
 * and sleep (instant), and reports the URLs it asked for.
 */
async function runWithStubCurl(script: string, statuses: number[]): Promise<{ code: number; urls: string[]; stderr: string }> {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "wait-stub-"));
  fs.writeFileSync(path.join(bin, "statuses"), statuses.join("\n") + "\n");
  fs.writeFileSync(
    path.join(bin, "curl"),
    `#!/bin/sh\nfor a in "$@"; do last="$a"; done\necho "$last" >> "${bin}/urls"\nn=$(wc -l < "${bin}/urls")\ns=$(sed -n "\${n}p" "${bin}/statuses")\n[ -n "$s" ] || s=$(tail -n 1 "${bin}/statuses")\nprintf %s "$s"\n`,
    { mode: 0o755 },
  );
  fs.writeFileSync(path.join(bin, "sleep"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  const result = spawnSync("/bin/sh", ["-c", script], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: "utf8" });
  const urls = fs.existsSync(path.join(bin, "urls")) ? fs.readFileSync(path.join(bin, "urls"), "utf8").trim().split("\n") : [];
  fs.rmSync(bin, { recursive: true, force: true });
  return { code: result.status ?? 1, urls, stderr: result.stderr };
}

const envOf = (deployment: Recorded): Record<string, any>[] => deployment.inputs.spec.template.spec.containers[0].env;
const envValue = (deployment: Recorded, name: string) => envOf(deployment).find((e) => e.name === name);
const container = (deployment: Recorded) => deployment.inputs.spec.template.spec.containers[0];
const KUBECTL_PINNED = `alpine/k8s:1.31.4@sha256:${"c".repeat(64)}`;
const prodRegistry = () => structuredClone(stackConfig("prod").registry) as Record<string, any>;

describe("dev stack: the MicroK8s registry addon", () => {
  let dev: Evaluation;
  beforeAll(async () => {
    dev = await evaluate("dev");
  });

  test("exports only what the addon has: no credentials, UI or S3 keys (an undefined output is a warning on every run)", () => {
    expect(Object.keys(dev.outputs).sort()).toEqual(["appImages", "environment", "registryHost", "registryMode", "registryStorage"]);
  });

  test("enables the addon with its size and re-runs it on update; its delete (disable) never runs unless disableOnDestroy", async () => {
    const enable = find(dev.resources, TYPES.localCommand, "-enable");
    expect(enable.inputs.create).toBe("microk8s enable registry --size 20Gi");
    expect(enable.inputs.update).toBe(enable.inputs.create);
    expect(enable.inputs.delete).toBe("microk8s disable registry");
    expect(enable.options.retainOnDelete).toBe(true);
    const disabling = await evaluate("dev", { overrides: { registry: { mode: "microk8s-addon", disableOnDestroy: true } } });
    expect(find(disabling.resources, TYPES.localCommand, "-enable").options.retainOnDelete).toBe(false);
  });

  test("waits for localhost:32000/v2/ with bounded retries: 60 tries, then a failure naming what to check", async () => {
    const script = find(dev.resources, TYPES.localCommand, "-ready").inputs.create;
    const down = await runWithStubCurl(script, [503]);
    expect(down.code).toBe(1);
    expect(down.urls).toHaveLength(60);
    expect(new Set(down.urls)).toEqual(new Set(["http://localhost:32000/v2/"]));
    expect(down.stderr).toContain("microk8s status");
    const upLater = await runWithStubCurl(script, [503, 503, 401]);
    expect({ code: upLater.code, tries: upLater.urls.length }).toEqual({ code: 0, tries: 3 });
  });

  test("creates no Kubernetes object and exports the addon host", () => {
    expect(dev.resources.filter((r) => r.type.startsWith("kubernetes:") && r.name.startsWith("registry"))).toEqual([]);
    expect(dev.outputs.registryHost).toBe("localhost:32000");
    expect(dev.outputs.registryPassword).toBeUndefined();
  });

  test("passes --storageclass when it is set", async () => {
    const run = await evaluate("dev", { overrides: { registry: { mode: "microk8s-addon", size: "40Gi", storageClass: "fast-ssd" } } });
    expect(find(run.resources, TYPES.localCommand, "-enable").inputs.create).toBe(
      "microk8s enable registry --size 40Gi --storageclass fast-ssd",
    );
  });

  test("runs the same commands over SSH when registry.ssh is set", async () => {
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nmock\n-----END OPENSSH PRIVATE KEY-----";
    const run = await evaluate("dev", {
      overrides: { registry: { mode: "microk8s-addon", ssh: { host: "k8s-node.example.invalid", user: "ubuntu" } } },
      secrets: { sshPrivateKey: key },
    });
    // Only the moving tag's push runs here, where Docker is; every registry command runs on the node.
    expect(ofType(run.resources, TYPES.localCommand).map((c) => c.name)).toEqual(["app-web-image-push-latest"]);
    const enable = find(run.resources, TYPES.remoteCommand, "-enable");
    expect(enable.inputs.create).toBe("microk8s enable registry --size 20Gi");
    expect(enable.inputs.delete).toBe("microk8s disable registry");
    // Switching to SSH deletes the local command: retained, so no disable runs.
    expect(enable.options.retainOnDelete).toBe(true);
    expect(enable.inputs.connection).toMatchObject({ host: "k8s-node.example.invalid", user: "ubuntu", port: 22, privateKey: key });
    expect(isSecretAt(enable, "connection.privateKey")).toBe(true);
    expect(find(run.resources, TYPES.remoteCommand, "-ready").inputs.create).toContain("http://localhost:32000/v2/");
  });

  test("refuses registry.ssh without the sshPrivateKey secret, before any resource", async () => {
    const registered: unknown[] = [];
    await expect(
      evaluate("dev", {
        overrides: { registry: { mode: "microk8s-addon", ssh: { host: "h.example.invalid", user: "u" } } },
        outputsFor: (type) => void registered.push(type),
      }),
    ).rejects.toThrow(/Invalid config for stack "dev":\n {2}- microk8s-pipeline:sshPrivateKey = \(not set\): required when registry.ssh is set/);
    expect(registered).toEqual([]);
  });
});

describe("prod stack: a managed Distribution registry", () => {
  let prod: Evaluation;
  let registry: Recorded;
  beforeAll(async () => {
    prod = await evaluate("prod");
    registry = find(prod.resources, TYPES.deployment, "registry-managed");
  });

  test("runs the pinned image with 2 replicas in its own namespace, rolling without downtime", () => {
    expect(find(prod.resources, TYPES.namespace, "registry-managed-ns").inputs.metadata.name).toBe("container-registry");
    expect(registry.inputs.metadata.namespace).toBe("container-registry");
    expect(registry.inputs.spec.replicas).toBe(2);
    expect(container(registry).image).toBe("registry:2.8.3@sha256:a3d8aaa63ed8681a604f1dea0aa03f100d5895b6a58ace528858a7b332415373");
    expect(registry.inputs.metadata.labels["app.kubernetes.io/version"]).toBe("2.8.3");
    expect(registry.inputs.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
  });

  test("turns on htpasswd auth from a mounted Secret that the generated password opens", () => {
    expect(envValue(registry, "REGISTRY_AUTH")).toEqual({ name: "REGISTRY_AUTH", value: "htpasswd" });
    expect(envValue(registry, "REGISTRY_AUTH_HTPASSWD_REALM")?.value).toBe("Registry Realm");
    expect(envValue(registry, "REGISTRY_AUTH_HTPASSWD_PATH")?.value).toBe("/auth/htpasswd");
    const authSecret = find(prod.resources, TYPES.secret, "-auth");
    const volume = registry.inputs.spec.template.spec.volumes.find((v: any) => v.name === "auth");
    expect(volume.secret.secretName).toBe(k8sName(authSecret));
    expect(container(registry).volumeMounts).toContainEqual({ name: "auth", mountPath: "/auth", readOnly: true });
    const line: string = authSecret.inputs.stringData.htpasswd;
    expect(isSecretAt(authSecret, "stringData.htpasswd")).toBe(true);
    expect(line.startsWith("pipeline:$2b$10$")).toBe(true);
    expect(htpasswdAccepts(line, String(prod.outputs.registryPassword), "pipeline")).toBe(true);
    expect(htpasswdAccepts(line, "wrong")).toBe(false);
  });

  test("pulls get a user of their own: the pull Secrets carry it, never the push password", () => {
    const file: string = find(prod.resources, TYPES.secret, "-auth").inputs.stringData.htpasswd;
    expect(file.trim().split("\n").map((l) => l.split(":")[0])).toEqual(["pipeline", "puller"]);
    const pull = JSON.parse(find(prod.resources, TYPES.secret, "-registry-pull").inputs.stringData[".dockerconfigjson"]).auths["localhost:32000"];
    expect(pull.username).toBe("puller");
    expect(pull.password).not.toBe(prod.outputs.registryPassword);
    expect(htpasswdAccepts(file, pull.password, "puller")).toBe(true);
    expect(htpasswdAccepts(file, pull.password, "pipeline")).toBe(false);
  });

  test("stores blobs in S3 on MinIO, with the keys only through secretKeyRef", () => {
    const plain = Object.fromEntries(envOf(registry).filter((e) => "value" in e).map((e) => [e.name, e.value]));
    expect(plain).toMatchObject({
      REGISTRY_STORAGE: "s3",
      REGISTRY_STORAGE_S3_REGION: "us-east-1",
      REGISTRY_STORAGE_S3_REGIONENDPOINT: "http://minio.minio.svc.cluster.local:9000",
      REGISTRY_STORAGE_S3_BUCKET: "container-registry",
      REGISTRY_STORAGE_S3_SECURE: "false",
      REGISTRY_STORAGE_S3_V4AUTH: "true",
      REGISTRY_STORAGE_S3_ROOTDIRECTORY: "/registry",
      REGISTRY_STORAGE_DELETE_ENABLED: "true",
    });
    const envSecret = find(prod.resources, TYPES.secret, "-env");
    for (const [name, key] of [["REGISTRY_STORAGE_S3_ACCESSKEY", "s3-access-key"], ["REGISTRY_STORAGE_S3_SECRETKEY", "s3-secret-key"], ["REGISTRY_HTTP_SECRET", "http-secret"]]) {
      expect(envValue(registry, name)).toEqual({ name, valueFrom: { secretKeyRef: { name: k8sName(envSecret), key } } });
    }
    expect(envSecret.inputs.stringData["s3-access-key"]).toBe(prod.outputs.s3AccessKey);
    expect(envSecret.inputs.stringData["s3-secret-key"]).toBe(prod.outputs.s3SecretKey);
    // The one ConfigMap is node trust's: the registry's CA and hosts.toml, public by nature; no key in it.
    expect(ofType(prod.resources, TYPES.configMap).map((c) => [c.name, Object.keys(c.inputs.data).sort()])).toEqual([["registry-node-trust", ["ca.crt", "hosts.toml"]]]);
    expect(ofType(prod.resources, TYPES.pvc)).toEqual([]);
  });

  test("probes /debug/health on the debug port, with metrics there", () => {
    expect(envValue(registry, "REGISTRY_HTTP_DEBUG_ADDR")?.value).toBe(":5001");
    expect(envValue(registry, "REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED")?.value).toBe("true");
    expect(container(registry).ports).toContainEqual({ name: "debug", containerPort: 5001 });
    for (const probe of [container(registry).livenessProbe, container(registry).readinessProbe]) {
      expect(probe.httpGet).toEqual({ path: "/debug/health", port: "debug" });
    }
  });

  test("sets requests, limits and a restricted security context", () => {
    expect(container(registry).resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } });
    expect(container(registry).securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(registry.inputs.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
  });

  test("exposes NodePort 32000 over HTTPS, under a Service name fixed before it exists (the certificate names it), and waits for it before anything is pushed", () => {
    const service = find(prod.resources, TYPES.service, "registry-managed");
    expect(service.inputs.metadata.name).toBe("registry-managed");
    expect(service.inputs.spec).toMatchObject({ type: "NodePort", ports: [{ name: "https", port: 5000, targetPort: "https", nodePort: 32000 }] });
    expect(service.inputs.spec.selector).toEqual(registry.inputs.spec.selector.matchLabels);
    expect(find(prod.resources, TYPES.localCommand, "-ready").inputs.create).toContain("https://localhost:32000/v2/");
  });

  test("runs the web UI as non-root on 8080, proxying to the registry Service", () => {
    const ui = find(prod.resources, TYPES.deployment, "-ui");
    const registryService = find(prod.resources, TYPES.service, "registry-managed");
    const env = Object.fromEntries(envOf(ui).map((e) => [e.name, e.value]));
    expect(env).toEqual({
      NGINX_LISTEN_PORT: "8080",
      NGINX_PROXY_PASS_URL: `https://${k8sName(registryService)}.container-registry.svc.cluster.local:5000`,
      SINGLE_REGISTRY: "true",
      REGISTRY_TITLE: "Production registry",
      DELETE_IMAGES: "false",
      REGISTRY_SECURED: "true",
    });
    expect(container(ui).image).toBe("joxit/docker-registry-ui:2.5.7@sha256:5594b76bf8dd9de479648e28f38572d020d260568be40b7e52b9758b442275e1");
    expect(container(ui).livenessProbe.httpGet).toEqual({ path: "/", port: "http" });
    expect(container(ui).readinessProbe.httpGet).toEqual({ path: "/", port: "http" });
    expect(container(ui).resources.limits).toEqual({ cpu: "200m", memory: "128Mi" });
    expect(container(ui).securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false });
    expect(find(prod.resources, TYPES.service, "-ui").inputs.spec).toMatchObject({ type: "ClusterIP", ports: [{ port: 80, targetPort: "http" }] });
    expect(prod.outputs.registryUiService).toBe(k8sName(find(prod.resources, TYPES.service, "-ui")));
  });
});

describe("managed registry variants", () => {
  test("filesystem storage gets a PVC, and a rolling update whose pods share the volume's node, so pulls go on", async () => {
    const reg = { ...prodRegistry(), replicas: 1, storage: { type: "filesystem", size: "50Gi", storageClass: "local-path" } };
    const run = await evaluate("prod", { overrides: { registry: reg } });
    const pvc = find(run.resources, TYPES.pvc, "-data");
    expect(pvc.inputs.spec).toEqual({ accessModes: ["ReadWriteOnce"], storageClassName: "local-path", resources: { requests: { storage: "50Gi" } } });
    const deployment = find(run.resources, TYPES.deployment, "registry-managed");
    expect(deployment.inputs.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    expect(deployment.inputs.spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { labelSelector: { matchLabels: deployment.inputs.spec.selector.matchLabels }, topologyKey: "kubernetes.io/hostname" },
    ]);
    expect(deployment.inputs.spec.template.spec.topologySpreadConstraints).toBeUndefined();
    expect(ofType(run.resources, "kubernetes:policy/v1:PodDisruptionBudget").filter((b) => b.name.startsWith("registry"))).toEqual([]);
    expect(envValue(deployment, "REGISTRY_STORAGE")?.value).toBe("filesystem");
    expect(container(deployment).volumeMounts).toContainEqual({ name: "data", mountPath: "/var/lib/registry" });
    expect(envOf(deployment).some((e) => e.name.startsWith("REGISTRY_STORAGE_S3"))).toBe(false);
  });

  test("S3 storage with two replicas spreads them over nodes (one node still schedules both), with a budget that lets a drain take one at a time", async () => {
    const run = await evaluate("prod", { overrides: { registry: { ...prodRegistry(), replicas: 2 } } });
    const deployment = find(run.resources, TYPES.deployment, "registry-managed");
    const selector = deployment.inputs.spec.selector.matchLabels;
    expect(deployment.inputs.spec.template.spec.affinity).toBeUndefined();
    expect(deployment.inputs.spec.template.spec.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: selector }, matchLabelKeys: ["pod-template-hash"], nodeTaintsPolicy: "Honor" },
    ]);
    const budget = find(run.resources, "kubernetes:policy/v1:PodDisruptionBudget", "registry-managed");
    expect(budget.inputs.metadata.namespace).toBe(deployment.inputs.metadata.namespace);
    expect(budget.inputs.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: "AlwaysAllow" });
    const single = await evaluate("prod", { overrides: { registry: { ...prodRegistry(), replicas: 1 } } });
    expect(find(single.resources, TYPES.deployment, "registry-managed").inputs.spec.template.spec.topologySpreadConstraints).toBeUndefined();
    expect(ofType(single.resources, "kubernetes:policy/v1:PodDisruptionBudget").filter((b) => b.name.startsWith("registry"))).toEqual([]);
  });

  test("Distribution 3.x is told to use path-style addressing and gets no v4auth", async () => {
    const run = await evaluate("prod", { overrides: { registry: { ...prodRegistry(), image: `registry:3.0.0@sha256:${"b".repeat(64)}` } } });
    const deployment = find(run.resources, TYPES.deployment, "registry-managed");
    expect(envValue(deployment, "REGISTRY_STORAGE_S3_FORCEPATHSTYLE")?.value).toBe("true");
    expect(envValue(deployment, "REGISTRY_STORAGE_S3_V4AUTH")).toBeUndefined();
  });

  test("secret config overrides the generated password and S3 keys", async () => {
    const secrets = { registryPassword: "Chosen-Password-123", s3AccessKey: "MINIOACCESSKEY000001", s3SecretKey: "minio-secret-key-chosen-000000000000" };
    const run = await evaluate("prod", { secrets });
    const randomNames = [...ofType(run.resources, "random:index/randomPassword:RandomPassword"), ...ofType(run.resources, "random:index/randomString:RandomString")].map((r) => r.name).filter((n) => n.startsWith("registry"));
    // Only what no config can give: the pull user's password (not set here), the salt seed, the checksum key, the HTTP secret.
    expect(randomNames.sort()).toEqual(["registry-credentials-pull-password", "registry-credentials-salt-seed", "registry-managed-checksum-key", "registry-managed-http-secret"]);
    expect(htpasswdAccepts(find(run.resources, TYPES.secret, "-auth").inputs.stringData.htpasswd, secrets.registryPassword)).toBe(true);
    expect(find(run.resources, TYPES.secret, "-env").inputs.stringData).toMatchObject({ "s3-access-key": secrets.s3AccessKey, "s3-secret-key": secrets.s3SecretKey });
    expect(run.outputs.s3AccessKey).toBeUndefined();
    expect(run.outputs.registryPassword).toBe(secrets.registryPassword);
  });

  test("a NetworkPolicy opens the registry port to all and the debug port only to the namespaces config names", async () => {
    const policyOf = (run: Evaluation) => find(run.resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "registry-managed-ingress").inputs;
    const prod = await evaluate("prod");
    const registry = find(prod.resources, TYPES.deployment, "registry-managed");
    const closed = policyOf(prod);
    expect(closed.metadata.namespace).toBe("container-registry");
    expect(closed.spec.podSelector.matchLabels).toEqual(registry.inputs.spec.selector.matchLabels);
    expect(closed.spec.ingress).toEqual([{ ports: [{ protocol: "TCP", port: 5000 }] }]);
    const open = policyOf(await evaluate("prod", { overrides: { registry: { ...prodRegistry(), debugPortFrom: ["monitoring"] } } }));
    expect(open.spec.ingress[1]).toEqual({
      from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }],
      ports: [{ protocol: "TCP", port: 5001 }],
    });
  });

  test("garbage collection is off by default", async () => {
    const run = await evaluate("prod");
    expect(ofType(run.resources, "kubernetes:batch/v1:CronJob")).toEqual([]);
  });

  test.each([
    ["2.8", "s3", `registry:2.8.3@sha256:${"b".repeat(64)}`, "/etc/docker/registry/config.yml"],
    ["3.x", "filesystem", `registry:3.1.2@sha256:${"b".repeat(64)}`, "/etc/distribution/config.yml"],
  ])("scheduled garbage collection (%s, %s): a read-only window, the collector in the registry's image, RBAC on that Deployment alone", async (_v, storage, image, configPath) => {
    const storageSettings = storage === "s3" ? prodRegistry().storage : { type: "filesystem", size: "50Gi" };
    const gc = { enabled: true, schedule: "0 4 * * 6", kubectlImage: KUBECTL_PINNED };
    const run = await evaluate("prod", { overrides: { registry: { ...prodRegistry(), image, replicas: 1, storage: storageSettings, gc } } });
    const registry = find(run.resources, TYPES.deployment, "registry-managed");
    const registryName = k8sName(registry);
    const cron = find(run.resources, "kubernetes:batch/v1:CronJob", "-gc");
    expect(cron.inputs.spec).toMatchObject({ schedule: "0 4 * * 6", concurrencyPolicy: "Forbid" });
    const pod = cron.inputs.spec.jobTemplate.spec.template.spec;
    expect(pod.restartPolicy).toBe("Never");
    const [window, collect] = pod.containers;
    expect(window.command[2]).toContain(
      `patch deployment/${registryName} --type=merge -p '{"spec":{"template":{"metadata":{"annotations":{"microk8s-pipeline/registry-readonly":"{\\"enabled\\":true}"}}}}}'`,
    );
    // The switch the window flips is the template annotation the registry reads through the downward API, declared writable.
    expect(registry.inputs.spec.template.metadata.annotations["microk8s-pipeline/registry-readonly"]).toBe('{"enabled":false}');
    expect(window.command[2]).toContain("trap restore EXIT");
    expect(window.command[2]).not.toContain("exec");
    expect(window.image).toBe(KUBECTL_PINNED);
    expect(collect.image).toBe(image);
    expect(collect.command[2]).toContain(`registry garbage-collect ${configPath}`);
    for (const c of [window, collect]) expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    // The collector reads the registry's storage settings (S3 keys through secretKeyRef) and nothing else.
    const registryStorageEnv = container(registry).env.filter((e: any) => e.name.startsWith("REGISTRY_STORAGE") && e.name !== "REGISTRY_STORAGE_MAINTENANCE_READONLY");
    expect(collect.env).toEqual(registryStorageEnv);
    expect(collect.env.some((e: any) => e.name === "REGISTRY_HTTP_SECRET" || e.name.startsWith("REGISTRY_AUTH"))).toBe(false);
    // Only the window container holds the API token.
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(find(run.resources, "kubernetes:core/v1:ServiceAccount", "-gc").inputs.automountServiceAccountToken).toBe(false);
    expect(window.volumeMounts).toContainEqual({ name: "api-token", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true });
    expect(collect.volumeMounts.some((m: any) => m.name === "api-token")).toBe(false);
    if (storage === "filesystem") {
      expect(collect.volumeMounts).toContainEqual({ name: "data", mountPath: "/var/lib/registry" });
      expect(pod.affinity).toEqual(registry.inputs.spec.template.spec.affinity);
    } else {
      expect(pod.affinity).toBeUndefined();
    }
    const role = find(run.resources, "kubernetes:rbac.authorization.k8s.io/v1:Role", "-gc");
    expect(role.inputs.rules).toEqual([{ apiGroups: ["apps"], resources: ["deployments"], resourceNames: [registryName], verbs: ["get", "list", "watch", "patch"] }]);
    // The admission policy narrows both GC accounts to the switch and the lease; the jobs wait for its binding.
    const policy = find(run.resources, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy", "-gc-switch-only");
    const accounts = ["-gc", "-gc-guard"].map((suffix) => k8sName(find(run.resources, "kubernetes:core/v1:ServiceAccount", suffix)));
    expect(policy.inputs.spec.matchConditions).toEqual([
      { name: "gc-accounts", expression: `request.userInfo.username in [${accounts.map((a) => `'system:serviceaccount:container-registry:${a}'`).join(", ")}]` },
    ]);
    expect(policy.inputs.spec.failurePolicy).toBe("Fail");
    const binding = find(run.resources, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding", "-gc-switch-only");
    expect(binding.inputs.spec).toEqual({
      policyName: k8sName(policy),
      validationActions: ["Deny"],
      matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "container-registry" } } },
    });
    for (const suffix of ["-gc", "-gc-guard"]) expect(find(run.resources, "kubernetes:batch/v1:CronJob", suffix).dependsOn).toContain(binding.name);
    expect(pod.serviceAccountName).toBe(k8sName(find(run.resources, "kubernetes:core/v1:ServiceAccount", "-gc")));
  });

  test("external mode creates no registry objects, only the same bounded wait (over https, with the credentials)", async () => {
    const run = await evaluate("prod", {
      overrides: { registry: { mode: "external", host: "registry.example.invalid:5000", username: "ci", pullUsername: "ci-pull" } },
      secrets: { registryPassword: "external-password", registryPullPassword: "external-pull-password" },
    });
    expect(run.resources.filter((r) => r.custom && r.name.startsWith("registry")).map((r) => r.name)).toEqual(["registry-ready"]);
    const ready = find(run.resources, TYPES.localCommand, "registry-ready");
    expect(ready.inputs.create).toContain("'https://registry.example.invalid:5000/v2/'");
    expect(ready.inputs.environment.REGISTRY_AUTHORIZATION).toBe(`Basic ${Buffer.from("ci:external-password").toString("base64")}`);
    expect(isSecretAt(ready, "environment.REGISTRY_AUTHORIZATION")).toBe(true);
    expect(find(run.resources, TYPES.image, "app-web-image").dependsOn).toContain("registry-ready");
    expect(run.outputs.registryHost).toBe("registry.example.invalid:5000");
    expect(run.outputs.registryUsername).toBe("ci");
    expect(run.secretOutputs.has("registryPassword")).toBe(true);
    // The moving tag goes through the Docker daemon (which verifies the registry's TLS), with the push credential in its environment.
    const stable = find(run.resources, TYPES.localCommand, "-push-stable");
    expect(stable.inputs.environment.TARGET_IMAGE).toBe("registry.example.invalid:5000/production/web:stable");
    expect(JSON.parse(stable.inputs.environment.REGISTRY_DOCKER_CONFIG).auths["registry.example.invalid:5000"].username).toBe("ci");
    expect(isSecretAt(stable, "environment.REGISTRY_DOCKER_CONFIG")).toBe(true);
    // The app namespace's pull Secret carries the pull user only.
    const pull = JSON.parse(find(run.resources, TYPES.secret, "-registry-pull").inputs.stringData[".dockerconfigjson"]);
    expect(Buffer.from(pull.auths["registry.example.invalid:5000"].auth, "base64").toString()).toBe("ci-pull:external-pull-password");
  });

  test("external mode in dev without pullUsername: the pull Secrets reuse the push credential, and the program says so", async () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    const logged = jest.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      const run = await evaluate("dev", {
        overrides: { registry: { mode: "external", host: "registry.example.invalid:5000", username: "ci" } },
        secrets: { registryPassword: "external-password" },
      });
      const pull = JSON.parse(find(run.resources, TYPES.secret, "-registry-pull").inputs.stringData[".dockerconfigjson"]);
      expect(Buffer.from(pull.auths["registry.example.invalid:5000"].auth, "base64").toString()).toBe("ci:external-password");
      const printed = [...warn.mock.calls, ...logged.mock.calls].map((c) => c.join(" ")).join("\n");
      expect(printed).toContain("registry.pullUsername is not set: the pull Secrets in app namespaces carry the push credential of ci");
    } finally {
      warn.mockRestore();
      logged.mockRestore();
    }
  });
});

/** Every secret set and every feature on: signing, GC, the UI, debug-port access, an exposed app. */
const APP_SECRET_VALUES = { API_KEY: "chosen-api-key-000001", DB_PASSWORD: "chosen-db-password-01" };
const everythingOn = (): EvaluateOptions => ({
  overrides: {
    registry: { ...prodRegistry(), gc: { enabled: true, kubectlImage: KUBECTL_PINNED }, debugPortFrom: ["monitoring"] },
    images: { extraTags: ["stable"], sign: { enabled: true } },
    apps: [{ ...(structuredClone(stackConfig("prod").apps) as Record<string, any>[])[0], service: { type: "NodePort", expose: true } }],
  },
  secrets: {
    registryPassword: "Chosen-Push-Password-1",
    registryPullPassword: "Chosen-Pull-Password-1",
    s3AccessKey: "CHOSENACCESSKEY00001",
    s3SecretKey: "chosen-s3-secret-key-00000000000000001",
    cosignPrivateKey: "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----chosen-----END ENCRYPTED SIGSTORE PRIVATE KEY-----",
    cosignPassword: "chosen-cosign-password",
    appSecrets: JSON.stringify({ web: APP_SECRET_VALUES }),
  },
});

/** Dotted paths of the string leaves of `value` that contain one of `needles`. */
function leavesWith(value: unknown, needles: string[], at = ""): string[] {
  if (typeof value === "string") return needles.some((n) => value.includes(n)) ? [at] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => leavesWith(v, needles, `${at}[${i}]`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => leavesWith(v, needles, at ? `${at}.${k}` : k));
  return [];
}

describe.each([
  ["dev", "dev", {}],
  ["prod", "prod", {}],
  ["prod with every secret set and every feature on", "prod", everythingOn()],
] as [string, string, EvaluateOptions][])("%s stack: secrets and determinism", (_label, stack, options) => {
  test("no secret value appears outside Kubernetes Secrets, and every output carrying one is secret", async () => {
    const run = await evaluate(stack, options);
    const htpasswdLines = ofType(run.resources, TYPES.secret).flatMap((s) => (s.inputs.stringData?.htpasswd ? s.inputs.stringData.htpasswd.trim().split("\n") : []));
    const needles = [...run.secretValues, ...Object.values(APP_SECRET_VALUES), ...htpasswdLines.map((l: string) => l.split(":")[1])];
    for (const resource of run.resources.filter((r) => r.type !== TYPES.secret)) {
      // Providers need credentials to push, sign or connect: only those inputs may carry them, as Pulumi secrets.
      for (const leaf of leavesWith(resource.inputs, needles)) {
        const allowed = CREDENTIAL_INPUTS[resource.type];
        expect({ resource: resource.name, leaf, allowed: allowed !== undefined && leaf.startsWith(allowed), secret: isSecretAt(resource, leaf) }).toEqual({
          resource: resource.name,
          leaf,
          allowed: true,
          secret: true,
        });
      }
    }
    for (const [key, value] of Object.entries(run.outputs)) {
      const carries = needles.some((n) => JSON.stringify(value ?? "").includes(n));
      if (carries) expect({ key, secret: run.secretOutputs.has(key) }).toEqual({ key, secret: true });
    }
    if (stack === "prod") expect(needles.length).toBeGreaterThanOrEqual(5);
  });

  test("two evaluations record identical inputs (htpasswd included)", async () => {
    const first = await evaluate(stack, options);
    const second = await evaluate(stack, options);
    expect(JSON.stringify(second.resources)).toBe(JSON.stringify(first.resources));
  });
});

describe("bad config registers nothing", () => {
  test.each([
    ["an unknown mode", { mode: "docker-hub" }, "registry.mode"],
    ["a size below 20Gi", { mode: "microk8s-addon", size: "1Gi" }, "registry.size"],
    ["s3 without a bucket", { mode: "managed", storage: { type: "s3" } }, "registry.storage.bucket"],
    ["replicas > 1 on filesystem", { mode: "managed", replicas: 3 }, "registry.replicas = 3"],
    ["a malformed memory quantity", { mode: "managed", resources: { limits: { memory: "128MB" } } }, "registry.resources.limits.memory"],
    ["an empty username", { mode: "managed", auth: { username: "" } }, "registry.auth.username"],
  ])("%s", async (_what, registry, key) => {
    const registered: string[] = [];
    await expect(evaluate("prod", { overrides: { registry }, outputsFor: (type) => void registered.push(type) })).rejects.toThrow(
      new RegExp(`Invalid config for stack "prod":[\\s\\S]*microk8s-pipeline:${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
    );
    expect(registered).toEqual([]);
  });
});
