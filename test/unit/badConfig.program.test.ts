/**
 * Bad stack files, as a user writes them: each is refused before any resource is registered, with a
 * message that names the stack and the key. One change per row against the real dev or prod stack file.
 */
import { evaluate, EvaluateOptions, stackConfig } from "../harness";

type Stack = "dev" | "prod";
type Change = Pick<EvaluateOptions, "overrides" | "unset" | "secrets">;
const clone = <T>(v: T): T => structuredClone(v);
const registry = (stack: Stack, patch: (r: Record<string, any>) => void): Change => {
  const r = clone(stackConfig(stack).registry) as Record<string, any>;
  patch(r);
  return { overrides: { registry: r } };
};
const app = (stack: Stack, patch: (a: Record<string, any>) => void): Change => {
  const apps = clone(stackConfig(stack).apps) as Record<string, any>[];
  patch(apps[0]);
  return { overrides: { apps } };
};

const CASES: [string, Stack, Change, string][] = [
  ["a typo of registry", "prod", { overrides: { regsitry: { replicas: 2 } } }, "regsitry: unknown key"],
  ["a typo of tagStrategy", "prod", { overrides: { tagstrategy: "git" } }, "tagstrategy: unknown key"],
  ["an unknown environment", "prod", { overrides: { environment: "staging" } }, 'environment = "staging"'],
  ["no environment", "dev", { unset: ["environment"] }, "environment = (not set)"],
  ["an unknown tag strategy", "dev", { overrides: { tagStrategy: "sha" } }, 'tagStrategy = "sha"'],
  ["an unknown registry mode", "prod", registry("prod", (r) => (r.mode = "docker-hub")), "registry.mode"],
  ["3 replicas on a filesystem volume", "prod", registry("prod", (r) => ((r.storage = { type: "filesystem" }), (r.replicas = 3))), "registry.replicas = 3"],
  ["0 replicas", "prod", registry("prod", (r) => (r.replicas = 0)), "registry.replicas = 0"],
  ["a NodePort below the range", "prod", registry("prod", (r) => (r.nodePort = 80)), "registry.nodePort = 80"],
  ["a NodePort above the range", "prod", registry("prod", (r) => (r.nodePort = 40000)), "registry.nodePort = 40000"],
  ["a host with port 99999", "prod", registry("prod", (r) => (r.host = "localhost:99999")), 'registry.host = "localhost:99999": must have a port in 1-65535'],
  ["a host with a scheme", "prod", registry("prod", (r) => (r.host = "http://localhost:32000")), "registry.host"],
  ["the kube-system namespace", "prod", registry("prod", (r) => (r.namespace = "kube-system")), 'registry.namespace = "kube-system"'],
  ["the default namespace", "prod", registry("prod", (r) => (r.namespace = "default")), 'registry.namespace = "default"'],
  ["a namespace that is no DNS label", "prod", registry("prod", (r) => (r.namespace = "Registry_NS")), "registry.namespace"],
  ["the registry image at latest", "prod", registry("prod", (r) => (r.image = "registry:latest")), "registry.image"],
  ["an untagged registry image", "prod", registry("prod", (r) => (r.image = "registry")), "registry.image"],
  ["a registry image by tag in prod", "prod", registry("prod", (r) => (r.image = "registry:2.8.3")), 'registry.image = "registry:2.8.3": must be pinned by digest in prod'],
  ["an unknown storage type", "prod", registry("prod", (r) => (r.storage = { type: "nfs" })), "registry.storage"],
  ["s3 without a bucket", "prod", registry("prod", (r) => delete r.storage.bucket), "registry.storage.bucket"],
  ["an S3 bucket name that S3 refuses", "prod", registry("prod", (r) => (r.storage.bucket = "A")), "registry.storage.bucket"],
  ["an S3 endpoint without a scheme", "prod", registry("prod", (r) => (r.storage.regionEndpoint = "minio:9000")), 'registry.storage.regionEndpoint = "minio:9000": must be a URL with its scheme'],
  ["a relative S3 root directory", "prod", registry("prod", (r) => (r.storage.rootDirectory = "registry")), "registry.storage.rootDirectory"],
  ["prod without auth", "prod", registry("prod", (r) => (r.auth = { enabled: false })), "registry.auth.enabled = false: a prod registry must have auth"],
  ["a user name with a colon", "prod", registry("prod", (r) => (r.auth.username = "ci:bot")), "registry.auth.username"],
  ["a memory request above its limit", "prod", registry("prod", (r) => (r.resources = { requests: { memory: "1Gi" }, limits: { memory: "512Mi" } })), "registry.resources.requests.memory"],
  ["a CPU that is no quantity", "prod", registry("prod", (r) => (r.resources = { limits: { cpu: "lots" } })), "registry.resources.limits.cpu"],
  // TLS (#20): a certificate of one's own needs all three secrets; a generated one none; prod off loopback needs TLS.
  ["TLS of one's own without its secrets", "prod", registry("prod", (r) => (r.tls = { enabled: true })), "registryTlsCertificate = (not set): required with registry.tls.enabled and no registry.tls.generate"],
  ["a certificate beside tls.generate", "prod", { secrets: { registryTlsCertificate: "-----BEGIN CERTIFICATE-----" } }, "registryTlsCertificate = (hidden): registry.tls.generate makes the certificate, so this one would be ignored"],
  ["a TLS key with TLS off", "dev", { secrets: { registryTlsKey: "k" } }, "registryTlsKey = (hidden): it is used only with registry.tls.enabled in managed mode, or registryTlsCa in external mode"],
  ["a certificate of one's own that is no PEM", "prod", { ...registry("prod", (r) => (r.tls = { enabled: true })), secrets: { registryTlsCertificate: "c", registryTlsKey: "k", registryTlsCa: "a" } }, "registryTlsCertificate = (hidden): is not a PEM certificate"],
  ["a prod host off loopback without TLS", "prod", registry("prod", (r) => ((r.host = "registry.example.invalid:32000"), (r.tls = {}))), 'registry.host = "registry.example.invalid:32000": is not a loopback address'],
  ["tls.generate with enabled: false", "prod", registry("prod", (r) => (r.tls = { generate: true, enabled: false })), "registry.tls.enabled = false: generate: true needs TLS on"],
  ["node trust for the addon's own localhost:32000", "dev", registry("dev", (r) => (r.nodeTrust = { enabled: true })), "registry.nodeTrust.enabled = true: the addon's own localhost:32000 needs no node trust"],
  ["node trust by tag in prod", "prod", registry("prod", (r) => (r.nodeTrust = { enabled: true, image: "busybox:1.36.1" })), 'registry.nodeTrust.image = "busybox:1.36.1": must be pinned by digest in prod'],
  ["node trust in an app's namespace", "prod", registry("prod", (r) => (r.nodeTrust.namespace = "production")), 'registry.nodeTrust.namespace = "production": is the registry\'s or an app\'s namespace'],
  ["a relative node certs.d", "prod", registry("prod", (r) => (r.nodeTrust.certsDir = "certs.d")), 'registry.nodeTrust.certsDir = "certs.d": must be an absolute path'],
  ["an external registry's certificate (only its CA is used)", "dev", { overrides: { registry: { mode: "external", host: "r.example.invalid" } }, secrets: { registryTlsCertificate: "c" } }, "registryTlsCertificate = (hidden): an external registry serves its own certificate"],
  ["a GC schedule of letters", "prod", registry("prod", (r) => (r.gc = { schedule: "a b c d e" })), 'registry.gc.schedule = "a b c d e"'],
  ["a GC schedule out of range", "prod", registry("prod", (r) => (r.gc = { schedule: "99 99 * * *" })), 'registry.gc.schedule = "99 99 * * *"'],
  ["GC with the kubectl image by tag in prod", "prod", registry("prod", (r) => (r.gc = { enabled: true })), "registry.gc.kubectlImage"],
  ["the UI image by tag in prod", "prod", registry("prod", (r) => (r.ui.image = "joxit/docker-registry-ui:2.5.7")), "registry.ui.image"],
  ["a typo in the UI settings", "prod", registry("prod", (r) => (r.ui.tittle = "x")), "registry.ui: unknown key(s) tittle"],
  ["0 readiness attempts", "prod", registry("prod", (r) => (r.readiness = { attempts: 0 })), "registry.readiness.attempts = 0"],
  ["an unknown registry key", "prod", registry("prod", (r) => (r.replica = 2)), "registry.replica: unknown key replica"],
  ["metrics as a string", "prod", registry("prod", (r) => (r.metrics = "yes")), 'registry.metrics = "yes"'],
  ["an addon volume below 20Gi", "dev", registry("dev", (r) => (r.size = "10Gi")), 'registry.size = "10Gi"'],
  ["an addon size that is no quantity", "dev", registry("dev", (r) => (r.size = "big")), 'registry.size = "big"'],
  ["the UI in addon mode", "dev", registry("dev", (r) => (r.ui = { enabled: true })), "registry.ui: ui exists only in managed mode (registry.mode is microk8s-addon)"],
  ["a namespace in addon mode", "dev", registry("dev", (r) => (r.namespace = "registry")), "registry.namespace: namespace exists only in managed mode"],
  ["a storage class that is no DNS label", "dev", registry("dev", (r) => (r.storageClass = "Fast_SSD")), "registry.storageClass"],
  ["SSH without its key", "dev", registry("dev", (r) => (r.ssh = { host: "node1.example.invalid", user: "ubuntu" })), "sshPrivateKey = (not set)"],
  ["an SSH port out of range", "dev", registry("dev", (r) => (r.ssh = { host: "h.example.invalid", user: "u", port: 70000 })), "registry.ssh.port = 70000"],
  ["external without a host", "dev", { overrides: { registry: { mode: "external" } } }, "registry.host = (not set)"],
  ["external with a user and no password", "dev", { overrides: { registry: { mode: "external", host: "registry.example.invalid:5000", username: "ci" } } }, "registryPassword = (not set): required with registry.username"],
  ["external with a scheme in the host", "dev", { overrides: { registry: { mode: "external", host: "https://registry.example.invalid" } } }, "registry.host"],
  ["an app name with capitals", "dev", app("dev", (a) => (a.name = "Web")), 'apps.0.name = "Web"'],
  ["two apps of one name", "dev", { overrides: { apps: [...(clone(stackConfig("dev").apps) as object[]), { name: "web" }] } }, "apps.1.name"],
  ["an app in kube-system", "dev", app("dev", (a) => (a.namespace = "kube-system")), 'apps.0.namespace = "kube-system"'],
  ["an app in the managed registry's namespace", "prod", app("prod", (a) => (a.namespace = "container-registry")), 'apps.0.namespace = "container-registry": is the registry\'s namespace'],
  ["an app in the addon's namespace", "dev", app("dev", (a) => (a.namespace = "container-registry")), "apps.0.namespace"],
  ["a version with build metadata", "dev", app("dev", (a) => (a.version = "1.0.0+build.1")), 'apps.0.version = "1.0.0+build.1": must fit a Kubernetes label value'],
  ["a 70-character version", "dev", app("dev", (a) => (a.version = `1.0.0-${"a".repeat(64)}`)), "apps.0.version"],
  ["a version that is not semver with tagStrategy combined", "dev", app("dev", (a) => (a.version = "release-7")), 'apps.0.version = "release-7": must be semver'],
  ["an app port out of range", "dev", app("dev", (a) => (a.port = 70000)), "apps.0.port = 70000"],
  ["100 replicas", "dev", app("dev", (a) => (a.replicas = 100)), "apps.0.replicas = 100"],
  ["latest as the primary tag in prod", "prod", app("prod", (a) => (a.tag = "latest")), 'apps.0.tag = "latest"'],
  ["a tag starting with a dash", "dev", app("dev", (a) => (a.tag = "-bad")), 'apps.0.tag = "-bad"'],
  ["both build and image", "dev", app("dev", (a) => (a.image = "localhost:32000/dev/web:1.0.0")), "apps.0.image"],
  ["a prebuilt image by tag in prod", "prod", app("prod", (a) => (delete a.build, (a.image = "localhost:32000/production/web:1.0.0"))), "apps.0.image"],
  ["a probe path without /", "dev", app("dev", (a) => (a.probes = { liveness: { path: "health" } })), "apps.0.probes.liveness.path"],
  ["a credential in plain env", "dev", app("dev", (a) => (a.env = { DB_PASSWORD: "x" })), "apps.0.env.DB_PASSWORD"],
  ["a secretEnv name twice", "dev", app("dev", (a) => (a.secretEnv = ["API_KEY", "API_KEY"])), "apps.0.secretEnv"],
  ["an env name starting with a digit", "dev", app("dev", (a) => (a.env = { "1BAD": "x" })), "apps.0.env"],
  ["a NodePort app in prod without expose", "prod", app("prod", (a) => (a.service = { type: "NodePort" })), 'apps.0.service.type = "NodePort": opens the app outside the cluster'],
  ["an unknown Service type", "dev", app("dev", (a) => (a.service = { type: "Ingress" })), "apps.0.service.type"],
  ["a build context that does not exist", "dev", app("dev", (a) => (a.build = { context: "no-such-app" })), "apps.0.build.context: no folder"],
  ["a build context outside the project", "dev", app("dev", (a) => (a.build = { context: "../outside" })), "apps.0.build.context: is outside the project"],
  ["a Dockerfile that does not exist", "dev", app("dev", (a) => (a.build = { context: "app", dockerfile: "app/Dockerfile.prod" })), "apps.0.build.dockerfile: no file"],
  ["a build network that is no name", "dev", app("dev", (a) => (a.build = { context: "app", network: "host; rm -rf /" })), "apps.0.build.network"],
  ["a platform without an OS", "dev", app("dev", (a) => (a.build = { context: "app", platform: "amd64" })), "apps.0.build.platform"],
  ["an app CPU limit that is no quantity", "dev", app("dev", (a) => (a.resources = { limits: { cpu: "2 cores" } })), "apps.0.resources.limits.cpu"],
  ["an unknown app key", "dev", app("dev", (a) => (a.replica = 2)), "apps.0: unknown key(s) replica"],
  ["a moving tag with a space", "dev", { overrides: { images: { extraTags: ["bad tag"] } } }, "images.extraTags.0"],
  ["signing without the key", "prod", { overrides: { images: { sign: { enabled: true } } } }, "cosignPrivateKey / cosignPassword = (not set)"],
  ["an unknown images key", "dev", { overrides: { images: { signing: true } } }, "images: unknown key(s) signing"],
  ["an app secret for an app that does not exist", "dev", { secrets: { appSecrets: JSON.stringify({ api: { API_KEY: "x" } }) } }, "appSecrets.api: no app is named api"],
  ["an app secret with a misspelt name", "dev", { secrets: { appSecrets: JSON.stringify({ web: { API_KEYS: "x" } }) } }, "appSecrets.web.API_KEYS: web has no secretEnv API_KEYS"],
  ["app secrets that are not an object", "dev", { secrets: { appSecrets: "x" } }, "appSecrets: must be an object"],
  ["a registry password longer than bcrypt reads", "prod", { secrets: { registryPassword: "p".repeat(80) } }, "registryPassword = (hidden): is longer than 72 bytes"],
  // No one in without credentials (#19): auth in every prod mode, a pull credential of its own, no plaintext secret.
  ["the addon (no auth) in prod", "prod", { overrides: { registry: { mode: "microk8s-addon" } } }, 'registry.mode = "microk8s-addon": the MicroK8s registry addon has no auth'],
  ["an anonymous external registry in prod", "prod", { overrides: { registry: { mode: "external", host: "registry.example.invalid" } } }, "registry.username = (not set): a prod registry must have auth"],
  ["an external registry in prod without a pull user", "prod", { overrides: { registry: { mode: "external", host: "registry.example.invalid", username: "ci" } }, secrets: { registryPassword: "p" } }, "registry.pullUsername = (not set): in prod"],
  ["an external pull user without its password", "dev", { overrides: { registry: { mode: "external", host: "r.example.invalid", username: "ci", pullUsername: "ro" } }, secrets: { registryPassword: "p" } }, "registryPullPassword = (not set): required with registry.pullUsername"],
  ["an external pull user that is the push user", "dev", { overrides: { registry: { mode: "external", host: "r.example.invalid", username: "ci", pullUsername: "ci" } }, secrets: { registryPassword: "p", registryPullPassword: "q" } }, 'registry.pullUsername = "ci": must differ from username'],
  ["an external pull user without a push user", "dev", { overrides: { registry: { mode: "external", host: "r.example.invalid", pullUsername: "ro" } }, secrets: { registryPullPassword: "q" } }, 'registry.pullUsername = "ro": needs registry.username'],
  ["an external pull password without its user", "dev", { overrides: { registry: { mode: "external", host: "r.example.invalid", username: "ci" } }, secrets: { registryPassword: "p", registryPullPassword: "q" } }, "registryPullPassword = (hidden): is used only with registry.pullUsername"],
  ["a registry password set without --secret", "prod", { overrides: { registryPassword: "in-plain-sight" } }, "registryPassword = (hidden): is stored unencrypted in the stack file; remove it (pulumi config rm registryPassword) and set it again with: pulumi config set --secret registryPassword"],
  ["an S3 secret key set without --secret", "prod", { overrides: { s3AccessKey: "AKIA", s3SecretKey: "in-plain-sight" } }, "s3SecretKey = (hidden): is stored unencrypted"],
  ["an SSH key set without --secret", "dev", { ...registry("dev", (r) => (r.ssh = { host: "node1.example.invalid", user: "ubuntu" })), overrides: { ...registry("dev", (r) => (r.ssh = { host: "node1.example.invalid", user: "ubuntu" })).overrides, sshPrivateKey: "-----BEGIN" } }, "sshPrivateKey = (hidden): is stored unencrypted in the stack file; remove it (pulumi config rm sshPrivateKey) and set it again with: pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519"],
  ["app secrets set without --secret", "dev", { overrides: { appSecrets: { web: { API_KEY: "in-plain-sight" } } } }, "appSecrets = (hidden): is stored unencrypted in the stack file; remove it (pulumi config rm appSecrets) and set it again with: pulumi config set --secret --path 'appSecrets.<app>.<NAME>' VALUE"],
  ["a password in a plain env URL", "dev", app("dev", (a) => (a.env = { DATABASE_URL: "postgres://app:pw@db/app" })), 'apps.0.env.DATABASE_URL = "(hidden)": carries a password in a URL'],
  ["a credential-named build arg", "dev", app("dev", (a) => (a.build = { context: "app", args: { NPM_TOKEN: "npm_abc" } })), 'apps.0.build.args.NPM_TOKEN = "(hidden)": looks like a credential: a build arg is kept in the state and in the image\'s history'],
  ["a build arg URL with a password", "dev", app("dev", (a) => (a.build = { context: "app", args: { NPM_REGISTRY: "https://ci:pw@npm.example.invalid/" } })), 'apps.0.build.args.NPM_REGISTRY = "(hidden)": looks like a credential'],
  ["DB_PASS in plain env", "dev", app("dev", (a) => (a.env = { DB_PASS: "x" })), 'apps.0.env.DB_PASS = "(hidden)": looks like a credential'],
  ["a DSN in plain env", "dev", app("dev", (a) => (a.env = { SENTRY_DSN: "x" })), 'apps.0.env.SENTRY_DSN = "(hidden)": looks like a credential'],
  ["a PWD in plain env", "dev", app("dev", (a) => (a.env = { SMTP_PWD: "x" })), 'apps.0.env.SMTP_PWD = "(hidden)": looks like a credential'],
  ["CREDENTIALS in plain env", "dev", app("dev", (a) => (a.env = { GOOGLE_CREDENTIALS: "{}" })), 'apps.0.env.GOOGLE_CREDENTIALS = "(hidden)": looks like a credential'],
  // Every value the API server checks is checked first (#19).
  ["a 51-character app name (its Service name, app-<name>-<8 hex>, would pass 63)", "dev", app("dev", (a) => (a.name = "w".repeat(51))), "apps.0.name = \"" + "w".repeat(51) + "\": must be at most 50 characters"],
  ["two secretEnv names for one Secret key", "dev", app("dev", (a) => (a.secretEnv = ["API_KEY", "api_key"])), "apps.0.secretEnv = \"api_key\": API_KEY and api_key would share the Secret key api-key"],
  ["a moving tag listed twice", "dev", { overrides: { images: { extraTags: ["latest", "latest"] } } }, "images.extraTags = [\"latest\",\"latest\"]: must not list a tag twice"],
  ["a GC schedule on day 7", "prod", registry("prod", (r) => (r.gc = { schedule: "0 3 * * 7" })), 'registry.gc.schedule = "0 3 * * 7": must be a cron schedule with 5 fields, such as \'30 3 * * 0\': day of week "7" is outside 0-6'],
  ["a GC schedule with a time zone", "prod", registry("prod", (r) => (r.gc = { schedule: "TZ=UTC 0 3 * * 0" })), 'registry.gc.schedule = "TZ=UTC 0 3 * * 0"'],
  ["a zero memory limit", "dev", app("dev", (a) => (a.resources = { limits: { memory: "0" } })), 'apps.0.resources.limits.memory = "0": must be above zero'],
  ["a zero CPU request", "prod", registry("prod", (r) => (r.resources = { requests: { cpu: "0m" } })), 'registry.resources.requests.cpu = "0m": must be above zero'],
  ["an app CPU request above its limit", "dev", app("dev", (a) => (a.resources = { requests: { cpu: "2" }, limits: { cpu: "1" } })), 'apps.0.resources.requests.cpu = "2": must not exceed limits.cpu (1)'],
  ["an S3 bucket with '..'", "prod", registry("prod", (r) => (r.storage.bucket = "my..bucket")), 'registry.storage.bucket = "my..bucket": must not have \'..\''],
  ["an S3 bucket named like an IP address", "prod", registry("prod", (r) => (r.storage.bucket = "192.168.1.10")), 'registry.storage.bucket = "192.168.1.10": must not look like an IP address'],
  ["an S3 bucket with a reserved prefix", "prod", registry("prod", (r) => (r.storage.bucket = "xn--registry")), 'registry.storage.bucket = "xn--registry": must not use a prefix or suffix S3 reserves'],
  ["an S3 endpoint port out of range", "prod", registry("prod", (r) => (r.storage.regionEndpoint = "http://minio:70000")), 'registry.storage.regionEndpoint = "http://minio:70000": must have a port in 1-65535'],
  ["an S3 root directory climbing out", "prod", registry("prod", (r) => (r.storage.rootDirectory = "/registry/../other")), 'registry.storage.rootDirectory = "/registry/../other": must not have \'.\' or \'..\' segments'],
  ["a probe path with a space", "dev", app("dev", (a) => (a.probes = { readiness: { path: "/ready now" } })), 'apps.0.probes.readiness.path = "/ready now": must be a URL path'],
  ["a probe path with a bad %-escape", "dev", app("dev", (a) => (a.probes = { liveness: { path: "/health%zz" } })), 'apps.0.probes.liveness.path = "/health%zz": must be a URL path'],
  ["a registry image with an empty tag", "prod", registry("prod", (r) => (r.image = "registry:")), 'registry.image = "registry:": has an empty or invalid tag'],
  ["a prebuilt image with an empty tag before its digest", "dev", app("dev", (a) => (delete a.build, (a.image = `localhost:32000/dev/web:@sha256:${"a".repeat(64)}`))), "apps.0.image"],
  ["a UI title with markup", "prod", registry("prod", (r) => (r.ui.title = "<script>alert(1)</script>")), 'registry.ui.title = "<script>alert(1)</script>": must be printable text without any of'],
  ["a UI title with a shell expansion", "prod", registry("prod", (r) => (r.ui.title = "Registry $(id)")), 'registry.ui.title = "Registry $(id)": must be printable text'],
  ["a UI title over 100 characters", "prod", registry("prod", (r) => (r.ui.title = "t".repeat(101))), "registry.ui.title"],
  ["an auth realm with a quote", "prod", registry("prod", (r) => (r.auth.realm = 'Team "A"')), "registry.auth.realm"],
  ["a primary tag that looks like a signature", "dev", app("dev", (a) => (a.tag = `sha256-${"b".repeat(64)}.sig`)), "apps.0.tag"],
  ["a moving tag that looks like an attestation", "dev", { overrides: { images: { extraTags: [`sha256-${"c".repeat(64)}.att`] } } }, "images.extraTags.0"],
  ["a registry image tag too long for its version label", "prod", registry("prod", (r) => (r.image = `registry:2.8.3-${"x".repeat(60)}@sha256:${"a".repeat(64)}`)), "registry.image"],
  ["a registry NodePort the prod policy pack refuses", "prod", registry("prod", (r) => (r.nodePort = 31000)), "registry.nodePort = 31000: must be 32000 in prod"],
];

describe("bad stack files are refused before any resource exists", () => {
  test("the table covers at least 110 of them", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(110);
  });

  test.each(CASES)("%s (%s)", async (_what, stack, change, message) => {
    const registered: string[] = [];
    const run = evaluate(stack, { ...change, outputsFor: (type) => void registered.push(type) });
    await expect(run).rejects.toThrow(`Invalid config for stack "${stack}":`);
    await expect(run).rejects.toThrow(`microk8s-pipeline:${message}`);
    expect(registered).toEqual([]);
  });
});
