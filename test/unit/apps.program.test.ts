import { createHash } from "crypto";
import { execFileSync } from "child_process";
import * as path from "path";
import { APP_NAME_MAX } from "../../config/appsSchema";
import { evaluate, Evaluation, find, isSecretAt, k8sName, ofType, Recorded, ROOT, stackConfig, TYPES } from "../harness";

const appContainer = (d: Recorded) => d.inputs.spec.template.spec.containers[0];
const webApp = (stack: string) => structuredClone((stackConfig(stack).apps as Record<string, any>[])[0]);
/** The sample app's last commit and dirty state, asked of git itself rather than of the code under test. */
const gitOut = (...args: string[]) => execFileSync("git", ["-C", ROOT, ...args], { encoding: "utf8", env: { ...process.env, TZ: "UTC" } }).trim();
const appSha = gitOut("log", "-1", "--format=%h", "--abbrev=7", "--", "app");
const appDate = gitOut("log", "-1", "--format=%cd", "--date=format-local:%Y%m%d-%H%M%S", "--", "app");
const dirty = gitOut("status", "--porcelain", "--", "app") ? "-dirty" : "";
const EXPECTED_TAGS = { combined: `v1.0.0-git-${appSha}${dirty}`, semver: "1.0.0", git: `git-${appSha}${dirty}`, date: `${appDate}${dirty}` };
const expectedTag = (strategy: "combined" | "semver" | "git" | "date" | "env", environment: string) => (strategy === "env" ? environment : EXPECTED_TAGS[strategy]);

describe.each([
  { stack: "dev", namespace: "dev", extra: "latest", auth: false, replicas: 1 },
  { stack: "prod", namespace: "production", extra: "stable", auth: true, replicas: 3 },
])("$stack stack: the web app", ({ stack, namespace, extra, auth, replicas }) => {
  let run: Evaluation;
  let image: Recorded;
  let deployment: Recorded;
  beforeAll(async () => {
    run = await evaluate(stack);
    image = find(run.resources, TYPES.image, "app-web-image");
    deployment = find(run.resources, TYPES.deployment, "app-web");
  });

  test("builds app/ and pushes <registry>/<namespace>/web:<combined tag>", () => {
    expect(image.inputs.imageName).toBe(`localhost:32000/${namespace}/web:${expectedTag("combined", stack)}`);
    expect(image.inputs.imageName).toMatch(new RegExp(`/web:v1\\.0\\.0-git-[0-9a-f]{7}(-dirty)?$`));
    expect(image.inputs.build).toMatchObject({
      context: path.join(ROOT, "app"),
      dockerfile: path.join(ROOT, "app", "Dockerfile"),
      builderVersion: "BuilderBuildKit",
      args: { VERSION: "1.0.0", REVISION: expect.stringMatching(/^[0-9a-f]{7}$/), CREATED: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    });
    // The engine's platform, set so the provider need not guess it and print its note on every preview.
    expect(image.inputs.build.platform).toBe(`linux/${process.arch === "x64" ? "amd64" : process.arch}`);
    expect(image.inputs.skipPush).toBe(false);
    expect(image.inputs.registry.server).toBe("localhost:32000");
  });

  test("the push waits for the registry's readiness check", () => {
    const ready = stack === "dev" ? "registry-addon-ready" : "registry-managed-ready";
    expect(image.dependsOn).toContain(ready);
  });

  test(`pushes the moving tag ${extra} through the Docker daemon, of the just-pushed image, checked against its digest, and never deletes it`, () => {
    const push = find(run.resources, TYPES.localCommand, `app-web-image-push-${extra}`);
    expect(push.inputs.environment).toMatchObject({ SOURCE_IMAGE: image.inputs.imageName, TARGET_IMAGE: `localhost:32000/${namespace}/web:${extra}` });
    expect(push.inputs.environment.IMAGE_DIGEST_REF).toMatch(new RegExp(`^localhost:32000/${namespace}/web@sha256:[0-9a-f]{64}$`));
    expect(push.inputs.triggers).toEqual([push.inputs.environment.IMAGE_DIGEST_REF, push.inputs.environment.TARGET_IMAGE]);
    expect(push.inputs.create).toContain('docker push "$TARGET_IMAGE"');
    expect(push.inputs.delete).toBeUndefined();
    expect(run.resources.filter((r) => r.type.startsWith("docker:") && r.type !== TYPES.image)).toEqual([]);
  });

  test("the moving tag's push waits for the registry's readiness check too, after the build's push", () => {
    const ready = find(run.resources, TYPES.localCommand, "-ready").name;
    const push = find(run.resources, TYPES.localCommand, `-push-${extra}`);
    expect(push.dependsOn).toEqual(expect.arrayContaining([ready, "app-web-image"]));
  });

  test("the moving tag's push carries the push credential only where the registry has auth, as a secret in its environment", () => {
    const push = find(run.resources, TYPES.localCommand, `-push-${extra}`);
    expect(push.inputs.environment.REGISTRY_DOCKER_CONFIG !== undefined).toBe(auth);
    if (auth) expect(isSecretAt(push, "environment.REGISTRY_DOCKER_CONFIG")).toBe(true);
  });

  test("the Deployment runs the Image's repoDigest with IfNotPresent", () => {
    const outputs = run.outputs.appImages as Record<string, { image: string; tag: string; service: string; namespace: string }>;
    expect(appContainer(deployment).image).toBe(outputs.web.image);
    expect(appContainer(deployment).image).toMatch(new RegExp(`^localhost:32000/${namespace}/web@sha256:[0-9a-f]{64}$`));
    expect(appContainer(deployment).imagePullPolicy).toBe("IfNotPresent");
    expect(outputs.web).toMatchObject({ tag: expectedTag("combined", stack), namespace, service: k8sName(find(run.resources, TYPES.service, "app-web")) });
  });

  test("labels, rolling update and replicas", () => {
    const labels = deployment.inputs.spec.template.metadata.labels;
    expect(labels).toMatchObject({ app: "web", version: "1.0.0", "app.kubernetes.io/name": "web", "app.kubernetes.io/version": "1.0.0", "app.kubernetes.io/managed-by": "pulumi" });
    expect(deployment.inputs.spec.strategy.type).toBe("RollingUpdate");
    expect(deployment.inputs.spec.replicas).toBe(replicas);
    expect(deployment.inputs.metadata.namespace).toBe(namespace);
  });

  test(replicas > 1 ? "several replicas spread over nodes, with a budget that lets a drain take one at a time" : "one replica: no spread and no budget", () => {
    const selector = deployment.inputs.spec.selector.matchLabels;
    const budgets = ofType(run.resources, "kubernetes:policy/v1:PodDisruptionBudget").filter((b) => b.name.startsWith("app-web"));
    if (replicas > 1) {
      expect(deployment.inputs.spec.template.spec.topologySpreadConstraints).toEqual([
        { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: selector }, matchLabelKeys: ["pod-template-hash"], nodeTaintsPolicy: "Honor" },
      ]);
      expect(budgets.map((b) => b.inputs)).toEqual([
        expect.objectContaining({ metadata: expect.objectContaining({ namespace }), spec: { maxUnavailable: 1, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: "AlwaysAllow" } }),
      ]);
    } else {
      expect(deployment.inputs.spec.template.spec.topologySpreadConstraints).toBeUndefined();
      expect(budgets).toEqual([]);
    }
  });

  test("probes on /health and /ready, requests and limits, restricted security context", () => {
    const c = appContainer(deployment);
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: "/health", port: "http" }, initialDelaySeconds: 30, periodSeconds: 10 });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: "/ready", port: "http" }, initialDelaySeconds: 5, periodSeconds: 5 });
    expect(c.ports).toEqual([{ name: "http", containerPort: 8080 }]);
    expect(c.resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
    expect(c.securityContext).toEqual({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(deployment.inputs.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
  });

  test("API_KEY and DB_PASSWORD come from the app's Secret through secretKeyRef", () => {
    const secret = find(run.resources, TYPES.secret, "app-web-secrets");
    const env = appContainer(deployment).env;
    expect(env).toEqual([
      { name: "LOG_LEVEL", value: stack === "dev" ? "debug" : "info" },
      { name: "API_KEY", valueFrom: { secretKeyRef: { name: k8sName(secret), key: "api-key" } } },
      { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: k8sName(secret), key: "db-password" } } },
    ]);
    expect(Object.keys(secret.inputs.stringData).sort()).toEqual(["api-key", "db-password"]);
    expect(isSecretAt(secret, "stringData.api-key")).toBe(true);
    expect(secret.inputs.metadata.namespace).toBe(namespace);
  });

  test(auth ? "pulls with the namespace's dockerconfigjson Secret" : "needs no pull Secret for the addon", () => {
    const pulls = ofType(run.resources, TYPES.secret).filter((s) => s.inputs.type === "kubernetes.io/dockerconfigjson");
    if (!auth) {
      expect(pulls).toEqual([]);
      expect(deployment.inputs.spec.template.spec.imagePullSecrets).toBeUndefined();
      return;
    }
    expect(pulls).toHaveLength(1);
    expect(deployment.inputs.spec.template.spec.imagePullSecrets).toEqual([{ name: k8sName(pulls[0]) }]);
    expect(pulls[0].inputs.metadata.namespace).toBe(namespace);
    const config = JSON.parse(pulls[0].inputs.stringData[".dockerconfigjson"]);
    const { username, password } = config.auths["localhost:32000"];
    expect(username).toBe("puller");
    expect(password).not.toBe(String(run.outputs.registryPassword));
    expect(config.auths["localhost:32000"].auth).toBe(Buffer.from(`puller:${password}`).toString("base64"));
  });

  test("the ClusterIP Service sends port 80 to the pods it selects", () => {
    const service = find(run.resources, TYPES.service, "app-web");
    expect(service.inputs.spec).toMatchObject({ type: "ClusterIP", ports: [{ port: 80, targetPort: "http" }] });
    const podLabels = deployment.inputs.spec.template.metadata.labels;
    for (const [key, value] of Object.entries(service.inputs.spec.selector)) expect(podLabels[key]).toBe(value);
    expect(service.inputs.spec.selector).toEqual(deployment.inputs.spec.selector.matchLabels);
  });
});

describe("tag strategies and apps", () => {
  test.each(["semver", "git", "date", "env"] as const)("tagStrategy %s names the image with that tag", async (strategy) => {
    const run = await evaluate("prod", { overrides: { tagStrategy: strategy } });
    expect(find(run.resources, TYPES.image, "app-web-image").inputs.imageName).toBe(`localhost:32000/production/web:${expectedTag(strategy, "prod")}`);
  });

  test("the secrets checksum rolls the pods on a new value, and is keyed: not the plain SHA-256 of the values", async () => {
    const secrets = (values: Record<string, string>) => ({ appSecrets: JSON.stringify({ web: values }) });
    const annotation = async (values: Record<string, string>) =>
      find((await evaluate("prod", { secrets: secrets(values) })).resources, TYPES.deployment, "app-web").inputs.spec.template.metadata.annotations["checksum/secrets"];
    const first = await annotation({ API_KEY: "hunter2", DB_PASSWORD: "hunter3" });
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(first).not.toBe(createHash("sha256").update("hunter2\0hunter3").digest("hex"));
    expect(await annotation({ API_KEY: "hunter2", DB_PASSWORD: "hunter3" })).toBe(first);
    expect(await annotation({ API_KEY: "hunter4", DB_PASSWORD: "hunter3" })).not.toBe(first);
  });

  test("a build.platform in config is the one built for", async () => {
    const run = await evaluate("prod", { overrides: { apps: [{ ...webApp("prod"), build: { context: "app", platform: "linux/arm64" } }] } });
    expect(find(run.resources, TYPES.image, "app-web-image").inputs.build.platform).toBe("linux/arm64");
  });

  test("build.network reaches the docker build (host, for a daemon without a default bridge)", async () => {
    const run = await evaluate("prod", { overrides: { apps: [{ ...webApp("prod"), build: { context: "app", network: "host" } }] } });
    expect(find(run.resources, TYPES.image, "app-web-image").inputs.build.network).toBe("host");
  });

  test("an explicit tag redeploys a previous build under that tag", async () => {
    const run = await evaluate("prod", { overrides: { apps: [{ ...webApp("prod"), tag: "v0.9.0-git-abcdef0" }] } });
    expect(find(run.resources, TYPES.image, "app-web-image").inputs.imageName).toBe("localhost:32000/production/web:v0.9.0-git-abcdef0");
  });

  test("the longest app name config allows still gives a Service name that fits a DNS label (63)", async () => {
    const longest = { ...webApp("dev"), name: "w".repeat(APP_NAME_MAX) };
    const run = await evaluate("dev", { overrides: { apps: [longest] } });
    const service = k8sName(find(run.resources, TYPES.service, `app-${longest.name}`));
    expect(service).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(service.length).toBeLessThanOrEqual(63);
  });

  test("two apps get distinct resources and no URN collisions", async () => {
    const api = { ...webApp("prod"), name: "api", secretEnv: ["DB_PASSWORD"] };
    const run = await evaluate("prod", { overrides: { apps: [webApp("prod"), api] } });
    const urns = run.resources.map((r) => `${r.type}::${r.name}`);
    expect(new Set(urns).size).toBe(urns.length);
    expect(ofType(run.resources, TYPES.deployment).map((d) => d.name).sort()).toEqual(["app-api", "app-web", "registry-managed", "registry-managed-ui"]);
    expect(find(run.resources, TYPES.image, "app-api-image").inputs.imageName).toMatch(/^localhost:32000\/production\/api:/);
    expect(ofType(run.resources, TYPES.namespace).filter((n) => n.inputs.metadata.name === "production")).toHaveLength(1);
  });

  test("a prebuilt image by digest is deployed as given, with no build", async () => {
    const ref = `registry.example.invalid/team/web@sha256:${"b".repeat(64)}`;
    const { build: _build, ...app } = webApp("prod");
    const run = await evaluate("prod", { overrides: { apps: [{ ...app, image: ref }] } });
    expect(ofType(run.resources, TYPES.image)).toEqual([]);
    expect(appContainer(find(run.resources, TYPES.deployment, "app-web")).image).toBe(ref);
  });

  test("secret config gives the app its real secrets instead of generated ones", async () => {
    const run = await evaluate("dev", { secrets: { appSecrets: JSON.stringify({ web: { API_KEY: "sk_live_real", DB_PASSWORD: "db-real" } }) } });
    expect(find(run.resources, TYPES.secret, "app-web-secrets").inputs.stringData).toEqual({ "api-key": "sk_live_real", "db-password": "db-real" });
    // The one generated value left is the checksum's key, which no config gives.
    expect(ofType(run.resources, "random:index/randomPassword:RandomPassword").filter((r) => r.name.startsWith("app-web")).map((r) => r.name)).toEqual(["app-web-checksum-key"]);
  });
});

describe("signing (images.sign)", () => {
  const signing = { images: { extraTags: ["stable"], sign: { enabled: true } } };

  test("signs the pushed digest with the secret key, and the workload waits for it", async () => {
    const run = await evaluate("prod", { overrides: signing, secrets: { cosignPrivateKey: "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----", cosignPassword: "pw" } });
    const sign = find(run.resources, TYPES.localCommand, "app-web-signature");
    const digest = (run.outputs.appImages as Record<string, { image: string }>).web.image;
    expect(sign.inputs.environment.IMAGE_DIGEST_REF).toBe(digest);
    expect(sign.inputs.triggers).toEqual([digest]);
    // Over the prod stack's TLS: the CA in the environment, no insecure flag.
    expect(sign.inputs.create).toContain('cosign sign --yes --key env://COSIGN_PRIVATE_KEY --tlog-upload=false "$IMAGE_DIGEST_REF"');
    expect(sign.inputs.environment.REGISTRY_CA).toBe(run.outputs.registryCa);
    for (const key of ["COSIGN_PRIVATE_KEY", "COSIGN_PASSWORD", "REGISTRY_DOCKER_CONFIG"]) expect(isSecretAt(sign, `environment.${key}`)).toBe(true);
    expect(find(run.resources, TYPES.deployment, "app-web").dependsOn).toContain("app-web-signature");
    expect(sign.dependsOn).toContain("app-web-image");
  });

  test("signing without the key is a config error, before any resource", async () => {
    const registered: string[] = [];
    await expect(evaluate("prod", { overrides: signing, outputsFor: (type) => void registered.push(type) })).rejects.toThrow(
      "microk8s-pipeline:cosignPrivateKey / cosignPassword = (not set): required when images.sign.enabled is true",
    );
    expect(registered).toEqual([]);
  });

  test("off by default", async () => {
    const run = await evaluate("prod");
    expect(run.resources.filter((r) => r.name.endsWith("-signature"))).toEqual([]);
  });
});

describe("the vulnerability gate (images.scan)", () => {
  const scanning = { images: { extraTags: ["stable"], scan: { enabled: true, severity: "CRITICAL", ignore: [{ id: "CVE-2026-0001", reason: "not reachable" }], offline: true, cacheDir: "/var/cache/trivy" } } };

  test("scans the pushed digest with the push credentials as a secret, again only when the digest changes, and the workload waits for it", async () => {
    const run = await evaluate("prod", { overrides: scanning });
    const scan = find(run.resources, TYPES.localCommand, "app-web-scan");
    const digest = (run.outputs.appImages as Record<string, { image: string }>).web.image;
    expect(scan.inputs.environment.IMAGE_DIGEST_REF).toBe(digest);
    expect(scan.inputs.triggers[0]).toBe(digest);
    expect(JSON.parse(scan.inputs.environment.SCAN_IGNORE)).toEqual({ vulnerabilities: [{ id: "CVE-2026-0001", statement: "not reachable" }] });
    expect(scan.inputs.create).toContain("--severity 'CRITICAL' --exit-code 1");
    expect(scan.inputs.create).toContain("--cache-dir '/var/cache/trivy' --skip-db-update --offline-scan");
    expect(scan.inputs.create).toContain("--image-src remote");
    expect(isSecretAt(scan, "environment.REGISTRY_DOCKER_CONFIG")).toBe(true);
    expect(find(run.resources, TYPES.deployment, "app-web").dependsOn).toContain("app-web-scan");
    expect(scan.dependsOn).toContain("app-web-image");
    expect((run.outputs.appImages as Record<string, { vulnerabilities: unknown }>).web.vulnerabilities).toEqual({ CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 });
  });

  test("off by default", async () => {
    const run = await evaluate("prod");
    expect(run.resources.filter((r) => r.name.endsWith("-scan"))).toEqual([]);
    expect((run.outputs.appImages as Record<string, object>).web).not.toHaveProperty("vulnerabilities");
  });
});

describe("bad app config registers nothing", () => {
  test.each([
    ["latest as the primary tag in prod", "prod", (a: any) => ({ ...a, tag: "latest" }), 'apps.0.tag = "latest": latest can never be the primary tag in prod'],
    ["a build network that is no network name", "dev", (a: any) => ({ ...a, build: { context: "app", network: "host; rm" } }), 'apps.0.build.network = "host; rm": must be a Docker network name'],
    ["a port out of range", "dev", (a: any) => ({ ...a, port: 70000 }), "apps.0.port = 70000: must be a port in 1-65535"],
    ["both build and image", "dev", (a: any) => ({ ...a, image: "localhost:32000/dev/web:1.0.0" }), "apps.0.image = \"localhost:32000/dev/web:1.0.0\": cannot be set together with build"],
    ["a probe path without a leading /", "dev", (a: any) => ({ ...a, probes: { liveness: { path: "health" } } }), 'apps.0.probes.liveness.path = "health": must be a URL path starting with \'/\''],
    ["a credential in plain env", "dev", (a: any) => ({ ...a, env: { DB_PASSWORD: "x" } }), "apps.0.env.DB_PASSWORD = \"(hidden)\": looks like a credential"],
    ["a prebuilt image by tag in prod", "prod", ({ build: _b, ...a }: any) => ({ ...a, image: "localhost:32000/production/web:1.0.0" }), "apps.0.image = \"localhost:32000/production/web:1.0.0\": a prebuilt image in prod must be pinned by digest"],
  ])("%s", async (_what, stack, change, message) => {
    const registered: string[] = [];
    await expect(
      evaluate(stack, { overrides: { apps: [change(webApp(stack))] }, outputsFor: (type) => void registered.push(type) }),
    ).rejects.toThrow(`microk8s-pipeline:${message}`);
    expect(registered).toEqual([]);
  });

  test("duplicate app names", async () => {
    const registered: string[] = [];
    await expect(
      evaluate("dev", { overrides: { apps: [webApp("dev"), webApp("dev")] }, outputsFor: (type) => void registered.push(type) }),
    ).rejects.toThrow('microk8s-pipeline:apps.1.name = "web": duplicates apps[0].name; app names must be unique');
    expect(registered).toEqual([]);
  });

  test("an unknown tag strategy", async () => {
    await expect(evaluate("dev", { overrides: { tagStrategy: "random" } })).rejects.toThrow(
      'microk8s-pipeline:tagStrategy = "random": must be one of: semver, git, date, env, combined',
    );
  });
});
