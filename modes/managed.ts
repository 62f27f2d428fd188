/**
 * The self-managed CNCF Distribution registry (prod's default): htpasswd auth, filesystem or S3 storage,
 * optional TLS, web UI, scheduled GC and retention.
 */
import { z } from "zod";
import { ManagedRegistry } from "../components/managedRegistry";
import { RegistryCredentials } from "../components/registryCredentials";
import { PROJECT } from "../config/project";
import type { StorageRecord } from "../config/storageGuard";
import { buildNetwork, buildPlatform, bytes, dnsLabel, hostPort, namespaceName, nonEmpty, plainText, resourcesSchema, s3BucketName } from "../config/primitives";
import { cronScheduleProblem } from "../lib/cron";
import { isLoopbackHost } from "../lib/hosts";
import { isDigestPinned, parse } from "../lib/imageRef";
import { CREDENTIAL_USER, DOCKER_TAG, EXPOSE_ANNOTATION, LABEL_VALUE_CHARS, REGISTRY_NODE_PORT } from "../lib/patterns";
import { DOCKER_CERTS_DIR, managedRegistryHost, NODE_PORT_RANGE } from "../lib/registryDefaults";
import { RETENTION_DEFAULT_MEMORY_LIMIT } from "../lib/retentionArgs";
import { carriesUrlCredential, looksLikeCredential } from "../lib/secretNames";
import { tlsMaterialProblems } from "../lib/tlsMaterial";
import { absoluteDir, allowReplaceFromSchema, nodeTrustSchema, pinnedImageRef, readinessSchema, RegistryMode, SecretPresence, TLS_SECRET_KEYS, unusedTlsSecrets } from "./shared";

export const DEFAULT_REGISTRY_IMAGE = "registry:2.8.3";
export const DEFAULT_UI_IMAGE = "joxit/docker-registry-ui:2.5.7";
/** Any image with a shell and kubectl works; this one is pinned. */
export const DEFAULT_KUBECTL_IMAGE = "alpine/k8s:1.31.4";
/** bcrypt reads at most 72 bytes: a longer htpasswd password would be cut without a word. */
const BCRYPT_MAX_BYTES = 72;

/** An optional port (undefined: none given) within 1-65535. */
const portInRange = (port: string | undefined) => port === undefined || (Number(port) >= 1 && Number(port) <= 65535);

const filesystemStorage = z.strictObject({
  type: z.literal("filesystem"),
  size: bytes.default("20Gi"),
  storageClass: dnsLabel.optional(),
  /** `pulumi destroy` deletes the volume (and the namespace holding it) with every image; by default it keeps both. */
  deleteOnDestroy: z.boolean().default(false),
});

const s3Storage = z.strictObject({
  type: z.literal("s3"),
  bucket: s3BucketName,
  region: nonEmpty("region").default("us-east-1"),
  /** MinIO or another S3-compatible endpoint; with it set, 2.8 uses path-style addressing. */
  regionEndpoint: z
    .string()
    .regex(/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?\/?$/, { error: "must be a URL with its scheme, such as http://minio.minio.svc:9000" })
    .refine((v) => portInRange(/:([0-9]+)\/?$/.exec(v.replace(/^https?:\/\//, ""))?.[1]), { error: "must have a port in 1-65535" })
    .optional(),
  secure: z.boolean().default(true),
  v4auth: z.boolean().default(true),
  rootDirectory: z
    .string()
    .regex(/^\/[A-Za-z0-9._\-/]*$/, { error: "must be an absolute path such as /registry" })
    .refine((v) => !v.split("/").some((segment) => segment === ".." || segment === "."), { error: "must not have '.' or '..' segments: the prefix is used as written" })
    .optional(),
});

/** The joxit web UI. */
const uiSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    image: pinnedImageRef.default(DEFAULT_UI_IMAGE),
    title: plainText("title").default("Private registry"),
    deleteImages: z.boolean().default(false),
    resources: resourcesSchema({ requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } }),
  })
  .prefault({});

const cronSchedule = (example: string) =>
  z.string().superRefine((v, ctx) => {
    const problem = cronScheduleProblem(v);
    if (problem) ctx.addIssue({ code: "custom", input: v, message: `must be a cron schedule with 5 fields, such as '${example}': ${problem}` });
  });

const gcSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    schedule: cronSchedule("30 3 * * 0").default("30 3 * * 0"),
    kubectlImage: pinnedImageRef.default(DEFAULT_KUBECTL_IMAGE),
    resources: resourcesSchema({ requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } }),
  })
  .prefault({});

/**
 * Scheduled retention: registry-prune in a CronJob, with in-use protection always on. Its image is built
 * from this repository (prune/Dockerfile) and pushed to the registry itself; `build` is how (the app
 * builds' args, platform and network).
 */
const retentionSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** The newest tags kept per repository, beside the protected ones and those the cluster uses. */
    keep: z.number().int().min(1).max(100_000).default(10),
    /** Its own schedule; it never runs while a GC window holds the registry read-only (they take turns). */
    schedule: cronSchedule("0 2 * * *").default("0 2 * * *"),
    /** Tags never deleted, added to registry-prune's defaults (latest, stable). */
    protect: z.array(z.string().regex(DOCKER_TAG, { error: "must be a Docker tag" })).default([]),
    protectDigests: z.array(z.string().regex(/^sha256:[a-f0-9]{64}$/, { error: "must be a digest, sha256: and 64 hex digits" })).default([]),
    build: z
      .strictObject({
        args: z
          .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "must be a build arg name" }), z.string())
          .superRefine((args, ctx) => {
            for (const [name, value] of Object.entries(args)) {
              if (looksLikeCredential(name) || carriesUrlCredential(value)) {
                ctx.addIssue({ code: "custom", path: [name], input: "(hidden)", message: "looks like a credential: a build arg is kept in the state and in the image's history; use a token-free package mirror" });
              }
            }
          })
          .default({}),
        platform: buildPlatform.optional(),
        network: buildNetwork.optional(),
      })
      .prefault({}),
    resources: resourcesSchema({ requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "1", memory: RETENTION_DEFAULT_MEMORY_LIMIT } }),
  })
  .prefault({});

/**
 * HTTPS for the managed registry: a certificate of your own (secrets registryTlsCertificate, registryTlsKey,
 * registryTlsCa) or one generated with a private CA. `generate` implies `enabled`.
 */
const tlsSchema = z
  .strictObject({
    enabled: z.boolean().optional(),
    generate: z.boolean().default(false),
    /** The generated server certificate's lifetime; an up within 30 days of its end renews it (the CA stays). */
    validityDays: z.number().int().min(60).max(825).default(365),
    /** Where the Docker daemon that pushes reads registry CAs (`<dir>/<host>/ca.crt`); rootless Docker reads ~/.config/docker/certs.d. */
    dockerCertsDir: absoluteDir.default(DOCKER_CERTS_DIR),
  })
  .prefault({})
  .refine((t) => !(t.generate && t.enabled === false), { error: "generate: true needs TLS on; remove enabled: false (generate implies it)", path: ["enabled"] })
  .transform(({ enabled, ...rest }) => ({ ...rest, enabled: enabled ?? rest.generate }));

const htpasswdUser = nonEmpty("user name").regex(CREDENTIAL_USER, { error: "must not contain ':' or spaces (htpasswd separator)" });
const nodePortError = { error: `must be a NodePort in ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}` };

export const managedSchema = z
  .strictObject({
    mode: z.literal("managed"),
    namespace: namespaceName.default("container-registry"),
    /** Its tag is the registry's `app.kubernetes.io/version` label, so it must be a label value too. */
    image: pinnedImageRef
      .refine((v) => {
        const tag = parse(v).tag ?? "";
        return tag.length <= 63 && LABEL_VALUE_CHARS.test(tag);
      }, {
        error: "must have a tag that fits a Kubernetes label value (at most 63 characters, starting and ending alphanumeric), as the version label carries it",
      })
      .default(DEFAULT_REGISTRY_IMAGE),
    replicas: z.number().int().min(1).max(10).default(1),
    nodePort: z.number().int().min(NODE_PORT_RANGE.min, nodePortError).max(NODE_PORT_RANGE.max, nodePortError).default(REGISTRY_NODE_PORT),
    /** Where Docker on this machine pushes; defaults to the NodePort on localhost. */
    host: hostPort.optional(),
    storage: z
      .discriminatedUnion("type", [filesystemStorage, s3Storage], { error: "type must be one of: filesystem, s3" })
      .prefault({ type: "filesystem" }),
    auth: z
      .strictObject({
        enabled: z.boolean().default(true),
        username: htpasswdUser.default("registry"),
        realm: plainText("realm").default("Registry Realm"),
        /** The user the pull Secrets in app namespaces carry; its password is secret registryPullPassword, or generated. */
        pullUsername: htpasswdUser.default("puller"),
      })
      .prefault({})
      .refine((a) => a.pullUsername !== a.username, { error: "pullUsername must differ from username: pulls get a credential of their own", path: ["pullUsername"] }),
    metrics: z.boolean().default(true),
    /**
     * Namespaces whose pods may reach the debug port (pprof, expvar, /metrics), such as the Prometheus
     * one. A NetworkPolicy keeps it from every other pod; the kubelet's probes come from the node.
     */
    debugPortFrom: z.array(namespaceName).default([]),
    resources: resourcesSchema({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } }),
    ui: uiSchema,
    /** Scheduled garbage collection in a read-only window; off by default (pushes fail during it). */
    gc: gcSchema,
    /** Scheduled keep-N retention that never deletes what the cluster uses; off by default. */
    retention: retentionSchema,
    tls: tlsSchema,
    nodeTrust: nodeTrustSchema,
    readiness: readinessSchema,
    allowReplaceFrom: allowReplaceFromSchema,
  })
  .superRefine((r, ctx) => {
    if (r.replicas > 1 && r.storage.type === "filesystem") {
      ctx.addIssue({
        code: "custom",
        path: ["replicas"],
        input: r.replicas,
        message:
          "must be 1 with filesystem storage: the blobs sit on one ReadWriteOnce volume that a second replica cannot share; use storage.type s3 for more replicas",
      });
    }
  });

export type ManagedSettings = z.infer<typeof managedSchema>;
export type UiSettings = z.infer<typeof uiSchema>;
export type GcSettings = z.infer<typeof gcSchema>;
export type RetentionSettings = z.infer<typeof retentionSchema>;
export type TlsSettings = z.infer<typeof tlsSchema>;

/** The registry NodePort the mandatory service-exposure policy lets through without the expose annotation. */
function prodNodePortRules(s: ManagedSettings): string[] {
  if (s.nodePort === REGISTRY_NODE_PORT) return [];
  return [
    `${PROJECT}:registry.nodePort = ${s.nodePort}: must be ${REGISTRY_NODE_PORT} in prod, the one NodePort the mandatory service-exposure policy accepts without the ${EXPOSE_ANNOTATION} annotation`,
  ];
}

/**
 * A push sends the credential with every request: off the machine, only over TLS. A `localhost:<nodePort>`
 * host passes here, though on several nodes a pull from another node still crosses the node network (README).
 */
function prodTlsRules(s: ManagedSettings): string[] {
  if (s.tls.enabled || s.host === undefined || isLoopbackHost(s.host)) return [];
  return [
    `${PROJECT}:registry.host = ${JSON.stringify(s.host)}: is not a loopback address, so every push would send the credential in cleartext; in prod set registry.tls.generate: true, or registry.tls.enabled: true with the secrets registryTlsCertificate, registryTlsKey and registryTlsCa`,
  ];
}

/** A prod registry has auth, and every third-party image it runs is pinned by digest. */
function prodRules(s: ManagedSettings): string[] {
  const problems: string[] = [...prodNodePortRules(s), ...prodTlsRules(s)];
  if (!s.auth.enabled) {
    problems.push(`${PROJECT}:registry.auth.enabled = false: a prod registry must have auth (anyone reaching the NodePort could push and delete)`);
  }
  const images: [string, string, boolean][] = [
    ["registry.image", s.image, true],
    ["registry.ui.image", s.ui.image, s.ui.enabled],
    ["registry.gc.kubectlImage", s.gc.kubectlImage, s.gc.enabled],
  ];
  for (const [key, image, used] of images) {
    if (used && !isDigestPinned(image)) {
      problems.push(`${PROJECT}:${key} = ${JSON.stringify(image)}: must be pinned by digest in prod (${image.split("@")[0]}@sha256:...; docker buildx imagetools inspect ${image} gives it)`);
    }
  }
  return problems;
}

/** A certificate of one's own needs all three secrets, and they must fit together; a generated one, none of them. */
function tlsSecretRules(s: ManagedSettings, secrets: SecretPresence): string[] {
  if (!s.tls.enabled || s.tls.generate) return unusedTlsSecrets(secrets, s.tls.generate);
  const missing = TLS_SECRET_KEYS.filter((key) => !secrets.has(key));
  if (missing.length === 0) {
    const material = { certificate: secrets.raw("registryTlsCertificate") ?? "", key: secrets.raw("registryTlsKey") ?? "", ca: secrets.raw("registryTlsCa") ?? "" };
    const keyOf = { certificate: "registryTlsCertificate", key: "registryTlsKey", ca: "registryTlsCa" } as const;
    return tlsMaterialProblems(material, managedRegistryHost(s)).map(({ key, problem }) => `${PROJECT}:${keyOf[key]} = (hidden): ${problem}`);
  }
  return missing.map(
    (key) => `${PROJECT}:${key} = (not set): required with registry.tls.enabled and no registry.tls.generate (a certificate of your own: registryTlsCertificate, registryTlsKey, registryTlsCa); set it with: pulumi config set --secret ${key} < FILE, or set registry.tls.generate: true`,
  );
}

function secretRules(s: ManagedSettings, secrets: SecretPresence): string[] {
  const tooLong = ["registryPassword", "registryPullPassword"].filter((key) => Buffer.byteLength(secrets.raw(key) ?? "") > BCRYPT_MAX_BYTES);
  return [
    ...tlsSecretRules(s, secrets),
    ...tooLong.map((key) => `${PROJECT}:${key} = (hidden): is longer than ${BCRYPT_MAX_BYTES} bytes, which htpasswd's bcrypt cannot use; choose a shorter one`),
  ];
}

const DEFAULT_CLASS = "(cluster default)";
const ROOT = "/";

export const managedMode: RegistryMode<ManagedSettings> = {
  schema: managedSchema,
  keys: Object.keys(managedSchema.shape),
  defaultIn: ["prod"],
  namespace: (s) => s.namespace,
  host: managedRegistryHost,
  insecure: (s) => !s.tls.enabled,
  prodRules,
  nodeTrustRules: () => [],
  secretRules,
  // The namespace holds images only with filesystem storage (the volume lives in it).
  storage: {
    values: (s): StorageRecord =>
      s.storage.type === "filesystem"
        ? { mode: s.mode, namespace: s.namespace, "storage.type": "filesystem", "storage.size": s.storage.size, "storage.storageClass": s.storage.storageClass ?? DEFAULT_CLASS }
        : { mode: s.mode, namespace: s.namespace, "storage.type": "s3", "storage.bucket": s.storage.bucket, "storage.rootDirectory": s.storage.rootDirectory ?? ROOT },
    guarded: (s) =>
      s.storage.type === "filesystem" ? ["mode", "namespace", "storage.type", "storage.size", "storage.storageClass"] : ["mode", "storage.type", "storage.bucket", "storage.rootDirectory"],
  },
  create(name, s, { secrets, firstUpdate, pruneBuild }, parent) {
    const host = managedRegistryHost(s);
    const credentials = s.auth.enabled
      ? new RegistryCredentials(
          `${name}-credentials`,
          {
            username: s.auth.username,
            password: secrets.registryPassword,
            server: host,
            htpasswd: { pullUsername: s.auth.pullUsername, pullPassword: secrets.registryPullPassword },
          },
          { parent },
        )
      : undefined;
    const s3Credentials = secrets.s3AccessKey && secrets.s3SecretKey ? { accessKey: secrets.s3AccessKey, secretKey: secrets.s3SecretKey } : undefined;
    const managed = new ManagedRegistry(
      `${name}-managed`,
      {
        settings: s,
        htpasswd: credentials?.htpasswd,
        probeCredentials: credentials ? { username: credentials.username, password: credentials.password } : undefined,
        s3Credentials,
        tlsGiven:
          secrets.registryTlsCertificate && secrets.registryTlsKey && secrets.registryTlsCa
            ? { certificate: secrets.registryTlsCertificate, key: secrets.registryTlsKey, ca: secrets.registryTlsCa }
            : undefined,
        firstUpdate,
        ...(pruneBuild ? { retention: { build: pruneBuild, pullDockerConfigJson: credentials?.pullDockerConfigJson } } : {}),
      },
      { parent },
    );
    return { host: managed.host, credentials, ready: managed.ready, ca: managed.ca, uiServiceName: managed.uiServiceName, generatedS3Credentials: managed.generatedS3Credentials };
  },
};
