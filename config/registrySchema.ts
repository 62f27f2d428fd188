import { z } from "zod";
import { cronScheduleProblem } from "../lib/cron";
import { isFloating, parse } from "../lib/imageRef";
import { buildNetwork, buildPlatform, bytes, dnsLabel, hostPort, imageReference, namespaceName, nonEmpty, plainText, resourcesSchema, s3BucketName } from "./primitives";
import { DOCKER_TAG, LABEL_VALUE_CHARS } from "../lib/patterns";
import { parseBytes } from "../lib/quantity";
import { carriesUrlCredential, looksLikeCredential } from "../lib/secretNames";

/** Where the MicroK8s registry addon always serves: its NodePort on the node. */
export const ADDON_HOST = "localhost:32000";
/** Bounded wait for `/v2/`: five minutes by default. */
const READINESS_DEFAULTS = { attempts: 60, intervalSeconds: 5 } as const;
/** The MicroK8s registry addon refuses a smaller volume. */
export const ADDON_MIN_SIZE = "20Gi";
export const DEFAULT_REGISTRY_IMAGE = "registry:2.8.3";
export const DEFAULT_UI_IMAGE = "joxit/docker-registry-ui:2.5.7";
/** Node trust's writer: any image with a POSIX shell, from outside the private registry (nodes cannot pull from it before they trust it). */
export const DEFAULT_NODE_TRUST_IMAGE = "busybox:1.36.1";
/** Where a root Docker daemon reads registry CAs (`<dir>/<host>/ca.crt`). */
export const DOCKER_CERTS_DIR = "/etc/docker/certs.d";
/** Where MicroK8s's containerd reads registry hosts (its CRI `config_path`). */
export const MICROK8S_CERTS_DIR = "/var/snap/microk8s/args/certs.d";
/** Any image with a shell and kubectl works; this one is pinned. */
export const DEFAULT_KUBECTL_IMAGE = "alpine/k8s:1.31.4";
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

/** An optional port (undefined: none given) within 1-65535. */
const portInRange = (port: string | undefined) => port === undefined || (Number(port) >= 1 && Number(port) <= 65535);

const imageRef = imageReference("registry:2.8.3")
  .refine((v) => !isFloating(v), {
    error: "must be pinned to a version tag or digest (not latest, not untagged)",
  });
/** An absolute folder path, used as written in a shell and a hostPath: no '.' or '..' segments, no spaces. */
const absoluteDir = z
  .string()
  .regex(/^\/[A-Za-z0-9._\-/]*$/, { error: "must be an absolute path such as /etc/docker/certs.d" })
  .refine((v) => !v.split("/").some((segment) => segment === ".." || segment === "."), { error: "must not have '.' or '..' segments" });

/**
 * Every node's containerd trusts the registry (opt-in, any mode): a DaemonSet writes `hosts.toml` (and the CA
 * with TLS) under `<certsDir>/<host>/` on each node, nodes that join later included.
 */
const nodeTrustSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    certsDir: absoluteDir.default(MICROK8S_CERTS_DIR),
    image: imageRef.default(DEFAULT_NODE_TRUST_IMAGE),
    namespace: namespaceName.default("registry-node-trust"),
  })
  .prefault({});

/** How long to wait for `/v2/` after the registry is created: bounded, so a broken registry fails the update. */
const readinessSchema = z
  .strictObject({
    attempts: z.number().int().min(1).max(600).default(READINESS_DEFAULTS.attempts),
    intervalSeconds: z.number().int().min(1).max(60).default(READINESS_DEFAULTS.intervalSeconds),
  })
  .prefault({});

/**
 * The one-time opt-in for a change that would point the registry at other (empty) storage, by the value it
 * replaces: `registry.allowReplaceFrom.storage.bucket: old-bucket` lets exactly that change through, so a
 * value left in place after the migration lets nothing else through (config/storageGuard.ts).
 */
const allowReplaceFromSchema = z
  .strictObject({
    mode: z.string().optional(),
    namespace: z.string().optional(),
    ssh: z.string().optional(),
    storage: z
      .strictObject({
        type: z.string().optional(),
        size: z.string().optional(),
        storageClass: z.string().optional(),
        bucket: z.string().optional(),
        rootDirectory: z.string().optional(),
      })
      .optional(),
  })
  .default({});

const sshSchema = z.strictObject({
  host: nonEmpty("host name"),
  user: nonEmpty("user name"),
  port: z.number().int().min(1).max(65535).default(22),
});

const addonSchema = z.strictObject({
  mode: z.literal("microk8s-addon"),
  size: bytes
    .default(ADDON_MIN_SIZE)
    .refine((v) => (parseBytes(v) ?? 0) >= (parseBytes(ADDON_MIN_SIZE) ?? 0), {
      error: `must be at least ${ADDON_MIN_SIZE}: the MicroK8s registry addon refuses a smaller volume`,
    }),
  storageClass: dnsLabel.optional(),
  ssh: sshSchema.optional(),
  host: hostPort.default(ADDON_HOST),
  readiness: readinessSchema,
  /** `pulumi destroy` runs `microk8s disable registry`, which deletes the addon's volume and every image. */
  disableOnDestroy: z.boolean().default(false),
  nodeTrust: nodeTrustSchema,
  allowReplaceFrom: allowReplaceFromSchema,
});

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

/** The joxit web UI (managed mode). */
const uiSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    image: imageRef.default(DEFAULT_UI_IMAGE),
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
    kubectlImage: imageRef.default(DEFAULT_KUBECTL_IMAGE),
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
    resources: resourcesSchema({ requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "1", memory: "384Mi" } }),
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

const managedSchema = z
  .strictObject({
    mode: z.literal("managed"),
    namespace: namespaceName.default("container-registry"),
    /** Its tag is the registry's `app.kubernetes.io/version` label, so it must be a label value too. */
    image: imageRef
      .refine((v) => {
        const tag = parse(v).tag ?? "";
        return tag.length <= 63 && LABEL_VALUE_CHARS.test(tag);
      }, {
        error: "must have a tag that fits a Kubernetes label value (at most 63 characters, starting and ending alphanumeric), as the version label carries it",
      })
      .default(DEFAULT_REGISTRY_IMAGE),
    replicas: z.number().int().min(1).max(10).default(1),
    nodePort: z
      .number()
      .int()
      .min(NODE_PORT_RANGE.min, { error: `must be a NodePort in ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}` })
      .max(NODE_PORT_RANGE.max, { error: `must be a NodePort in ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}` })
      .default(32000),
    /** Where Docker on this machine pushes; defaults to the NodePort on localhost. */
    host: hostPort.optional(),
    storage: z
      .discriminatedUnion("type", [filesystemStorage, s3Storage], { error: "type must be one of: filesystem, s3" })
      .prefault({ type: "filesystem" }),
    auth: z
      .strictObject({
        enabled: z.boolean().default(true),
        username: nonEmpty("user name")
          .regex(/^[^:\s]*$/, { error: "must not contain ':' or spaces (htpasswd separator)" })
          .default("registry"),
        realm: plainText("realm").default("Registry Realm"),
        /** The user the pull Secrets in app namespaces carry; its password is secret registryPullPassword, or generated. */
        pullUsername: nonEmpty("user name")
          .regex(/^[^:\s]*$/, { error: "must not contain ':' or spaces (htpasswd separator)" })
          .default("puller"),
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

const externalSchema = z
  .strictObject({
    mode: z.literal("external"),
    host: hostPort,
    /** Empty for an anonymous registry; the password then comes from secret config registryPassword. */
    username: z.string().regex(/^[^:\s]*$/, { error: "must not contain ':' or spaces" }).optional(),
    /**
     * The read-only user the pull Secrets in app namespaces carry; its password is secret config
     * registryPullPassword. Required in prod; in dev, without it the pull Secrets carry the push credential.
     */
    pullUsername: z.string().regex(/^[^:\s]+$/, { error: "must be a user name without ':' or spaces" }).optional(),
    nodeTrust: nodeTrustSchema,
    readiness: readinessSchema,
    allowReplaceFrom: allowReplaceFromSchema,
  })
  .superRefine((r, ctx) => {
    if (r.pullUsername !== undefined && !r.username) {
      ctx.addIssue({ code: "custom", path: ["pullUsername"], input: r.pullUsername, message: "needs registry.username: a pull user for an anonymous registry has nothing to add" });
    }
    if (r.pullUsername !== undefined && r.pullUsername === r.username) {
      ctx.addIssue({ code: "custom", path: ["pullUsername"], input: r.pullUsername, message: "must differ from username: pulls get a credential of their own" });
    }
  });

export const REGISTRY_MODES = ["microk8s-addon", "managed", "external"] as const;

export const registrySchema = z.discriminatedUnion("mode", [addonSchema, managedSchema, externalSchema], {
  error: `mode must be one of: ${REGISTRY_MODES.join(", ")}`,
});

export type RegistrySettings = z.infer<typeof registrySchema>;
export type ManagedSettings = z.infer<typeof managedSchema>;
export type UiSettings = z.infer<typeof uiSchema>;
export type GcSettings = z.infer<typeof gcSchema>;
export type RetentionSettings = z.infer<typeof retentionSchema>;
export type NodeTrustSettings = z.infer<typeof nodeTrustSchema>;
export type TlsSettings = z.infer<typeof tlsSchema>;
export type AllowReplaceFrom = z.infer<typeof allowReplaceFromSchema>;

/** Where Docker on this machine reaches a managed registry: its configured host, else the NodePort on localhost. */
export function managedRegistryHost(settings: Pick<ManagedSettings, "host" | "nodePort">): string {
  return settings.host ?? `localhost:${settings.nodePort}`;
}

/** The namespace the MicroK8s registry addon deploys into. */
export const ADDON_NAMESPACE = "container-registry";

/** Keys that belong to one registry mode, for a message that names the mode when another one has them. */
const MODE_KEYS: Record<string, (typeof REGISTRY_MODES)[number]> = Object.fromEntries([
  ...Object.keys(managedSchema.shape).map((k) => [k, "managed"]),
  ...Object.keys(addonSchema.shape).map((k) => [k, "microk8s-addon"]),
  ...Object.keys(externalSchema.shape).map((k) => [k, "external"]),
]);

/** Why `key` is refused under `mode`: it belongs to another mode, or it is unknown. */
export function registryKeyHint(key: string, mode: unknown): string {
  const owner = MODE_KEYS[key];
  if (!owner || owner === mode) return `unknown key ${key}; check the spelling against the README's config reference`;
  return `${key} exists only in ${owner} mode (registry.mode is ${String(mode)})`;
}
