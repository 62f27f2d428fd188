import { z } from "zod";
import { DOCKER_TAG } from "../lib/patterns";
import { carriesUrlCredential, looksLikeCredential } from "../lib/secretNames";
import { TAG_STRATEGIES } from "../lib/tags";
import { secretKeyFor } from "../lib/appEnv";
import { buildNetwork, buildPlatform, dnsLabel, imageReference, labelValue, namespaceName, nonEmpty, portNumber, resourcesSchema, urlPath } from "./primitives";

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)" });
/** The tags cosign and other OCI tools write beside an image (`sha256-<hex>.sig`): registry-prune keeps them with their image. */
const ACCESSORY_TAG = /^sha256-[a-f0-9]{64}(\.[a-z]+)?$/;
const tag = z
  .string()
  .regex(DOCKER_TAG, { error: "must be a Docker tag ([A-Za-z0-9_.-], at most 128, not starting with '.' or '-')" })
  .refine((v) => !ACCESSORY_TAG.test(v), { error: "looks like a signature or attestation tag (sha256-<hex>.sig): choose a tag of your own" });
const probePath = urlPath;

/**
 * The longest app name whose derived names fit: the Service is `app-<name>-<8 hex>` (the engine's
 * auto-name), and a Service name is a DNS label of at most 63 characters.
 */
export const APP_NAME_MAX = 63 - "app-".length - "-0123abcd".length;
const appName = dnsLabel.max(APP_NAME_MAX, { error: `must be at most ${APP_NAME_MAX} characters: the Service is named app-<name>-<8 hex>, at most 63` });


const probe = (path: string, initialDelaySeconds: number, periodSeconds: number) =>
  z
    .strictObject({
      path: probePath.default(path),
      initialDelaySeconds: z.number().int().min(0).max(600).default(initialDelaySeconds),
      periodSeconds: z.number().int().min(1).max(300).default(periodSeconds),
      failureThreshold: z.number().int().min(1).max(30).default(3),
    })
    .prefault({});

const buildSchema = z.strictObject({
  /** Relative to the project directory. */
  context: z.string().min(1).default("app"),
  /** Relative to the project directory; `<context>/Dockerfile` when unset. */
  dockerfile: z.string().min(1).optional(),
  args: z.record(envName, z.string()).default({}),
  target: z.string().min(1).optional(),
  /** Unset: the Docker engine's own platform (an arm64 MicroK8s host builds arm64 images). */
  platform: buildPlatform.optional(),
  /** The build's network: `host` where the daemon has no default bridge (`dockerd --bridge=none`, locked-down CI). */
  network: buildNetwork.optional(),
});

const appSchema = z
  .strictObject({
    name: appName,
    namespace: namespaceName.default("apps"),
    /** Build from source; the default when `image` is not set. */
    build: buildSchema.optional(),
    /** A prebuilt image (built elsewhere by CI), deployed as given: in prod it must carry a digest. */
    image: imageReference("registry.example.invalid/team/web@sha256:...").optional(),
    /** Carried by the `version` and `app.kubernetes.io/version` labels. */
    version: labelValue("version").min(1).default("0.1.0"),
    /** Overrides the strategy's primary tag, for example to redeploy a previous build. */
    tag: tag.optional(),
    replicas: z.number().int().min(0).max(50).default(2),
    port: portNumber.default(8080),
    probes: z
      .strictObject({
        /** Defaults to the app's port. */
        port: portNumber.optional(),
        liveness: probe("/health", 30, 10),
        readiness: probe("/ready", 5, 5),
      })
      .prefault({}),
    resources: resourcesSchema({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } }),
    service: z
      .strictObject({
        type: z.enum(["ClusterIP", "NodePort", "LoadBalancer"], { error: "must be one of: ClusterIP, NodePort, LoadBalancer" }).default("ClusterIP"),
        port: portNumber.default(80),
        /**
         * Exposing on purpose: a NodePort or LoadBalancer opens the app outside the cluster, so it carries
         * the `microk8s-pipeline/expose` annotation the service-exposure policy looks for, and prod
         * refuses it without this.
         */
        expose: z.boolean().default(false),
      })
      .prefault({}),
    env: z.record(envName, z.string()).default({}),
    /** Names of env vars read from the app's Secret; values from secret config `appSecrets.<app>.<NAME>`. */
    secretEnv: z.array(envName).default([]),
  })
  .superRefine((app, ctx) => {
    if (app.build && app.image) {
      ctx.addIssue({ code: "custom", path: ["image"], input: app.image, message: "cannot be set together with build: either build from source or deploy a prebuilt image" });
    }
    for (const [name, value] of Object.entries(app.env)) {
      if (looksLikeCredential(name)) {
        ctx.addIssue({ code: "custom", path: ["env", name], input: "(hidden)", message: "looks like a credential: list it in secretEnv so it comes from a Secret" });
      } else if (carriesUrlCredential(value)) {
        ctx.addIssue({
          code: "custom",
          path: ["env", name],
          input: "(hidden)",
          message: "carries a password in a URL (scheme://user:password@host): list it in secretEnv and set it with pulumi config set --secret --path 'appSecrets.<app>.<NAME>'",
        });
      }
      if (app.secretEnv.includes(name)) {
        ctx.addIssue({ code: "custom", path: ["env", name], input: "(hidden)", message: "is also in secretEnv; keep it in one place" });
      }
    }
    for (const [name, value] of Object.entries(app.build?.args ?? {})) {
      if (looksLikeCredential(name) || carriesUrlCredential(value)) {
        ctx.addIssue({
          code: "custom",
          path: ["build", "args", name],
          input: "(hidden)",
          message:
            "looks like a credential: a build arg is kept in the state and in the image's history; use a token-free package mirror, or build the image elsewhere and deploy it with apps[].image",
        });
      }
    }
    if (new Set(app.secretEnv).size !== app.secretEnv.length) {
      ctx.addIssue({ code: "custom", path: ["secretEnv"], input: app.secretEnv, message: "must not list a name twice" });
    }
    const byKey = new Map<string, string>();
    for (const name of new Set(app.secretEnv)) {
      const key = secretKeyFor(name);
      const other = byKey.get(key);
      if (other) ctx.addIssue({ code: "custom", path: ["secretEnv"], input: name, message: `${other} and ${name} would share the Secret key ${key}; rename one` });
      byKey.set(key, name);
    }
  })
  .transform((app) => ({ ...app, build: app.image ? undefined : (app.build ?? buildSchema.parse({})) }));

export const appsSchema = z.array(appSchema).superRefine((apps, ctx) => {
  const seen = new Map<string, number>();
  apps.forEach((app, index) => {
    if (seen.has(app.name)) {
      ctx.addIssue({ code: "custom", path: [index, "name"], input: app.name, message: `duplicates apps[${seen.get(app.name)}].name; app names must be unique` });
    }
    seen.set(app.name, index);
  });
});

export const tagStrategySchema = z
  .enum(TAG_STRATEGIES, { error: `must be one of: ${TAG_STRATEGIES.join(", ")}` })
  .default("combined");

export const SEVERITIES = ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;

/** "HIGH,CRITICAL": Trivy's own spelling, each a known severity, no repeats. */
const severityList = z
  .string()
  .refine((v) => v.split(",").every((s) => (SEVERITIES as readonly string[]).includes(s)) && new Set(v.split(",")).size === v.split(",").length, {
    error: `must be a comma-separated list of ${SEVERITIES.join(", ")} (such as HIGH,CRITICAL)`,
  });

export const scanSchema = z
  .strictObject({
    /** Scan each pushed digest with Trivy before its workload runs; findings at or above `severity` fail the update. */
    enabled: z.boolean().default(false),
    severity: severityList.default("HIGH,CRITICAL"),
    /** Findings with no fixed version yet do not fail the gate (nothing to upgrade to). */
    ignoreUnfixed: z.boolean().default(false),
    /** Accepted findings, each with the reason a reviewer gave (Trivy's ignore file records it as the statement). */
    ignore: z.array(z.strictObject({ id: nonEmpty("advisory ID (CVE-... or GHSA-...)"), reason: nonEmpty("reason") })).default([]),
    /** The trivy binary (on PATH by default). */
    trivy: nonEmpty("path to trivy").default("trivy"),
    /** Trivy's cache (its database lives in <cacheDir>/db); Trivy's own default when unset. */
    cacheDir: nonEmpty("folder").optional(),
    /** Where Trivy downloads its database from: a mirror of ghcr.io/aquasecurity/trivy-db for air-gapped hosts. */
    dbRepository: nonEmpty("OCI repository").optional(),
    /** Use the database in cacheDir as it is: no download, no online lookups (air-gapped, or a pre-seeded cache). */
    offline: z.boolean().default(false),
  })
  .prefault({});

export type ScanSettings = z.infer<typeof scanSchema>;

export const imagesSchema = z
  .strictObject({
    /** Sign each pushed digest with cosign; the key comes from secret config cosignPrivateKey (+ cosignPassword). */
    sign: z.strictObject({ enabled: z.boolean().default(false) }).prefault({}),
    /** The vulnerability gate (the chapter's Trivy step). */
    scan: scanSchema,
    /** Moving tags pushed next to the primary one; defaults to latest in dev and stable in prod. */
    extraTags: z
      .array(tag)
      .refine((tags) => new Set(tags).size === tags.length, { error: "must not list a tag twice" })
      .optional(),
  })
  .prefault({});

export type AppSettings = z.infer<typeof appSchema>;
