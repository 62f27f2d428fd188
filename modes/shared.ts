/**
 * What every registry mode shares: the sub-schemas each mode's settings carry (node trust, readiness, the
 * storage guard's opt-in), the contract a mode module fulfils (RegistryMode), and the TLS-secret rule
 * that applies wherever a mode has no use for them.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { RegistryCredentials } from "../components/registryCredentials";
import { PROJECT, type Environment } from "../config/project";
import { imageReference, namespaceName } from "../config/primitives";
import type { StorageRecord } from "../config/storageGuard";
import { isFloating } from "../lib/imageRef";
import type { PruneImageBuild } from "../lib/pruneImage";

/** Bounded wait for `/v2/`: five minutes by default. */
const READINESS_DEFAULTS = { attempts: 60, intervalSeconds: 5 } as const;
/** Node trust's writer: any image with a POSIX shell, from outside the private registry (nodes cannot pull from it before they trust it). */
export const DEFAULT_NODE_TRUST_IMAGE = "busybox:1.36.1";
/** Where MicroK8s's containerd reads registry hosts (its CRI `config_path`). */
export const MICROK8S_CERTS_DIR = "/var/snap/microk8s/args/certs.d";
export const TLS_SECRET_KEYS = ["registryTlsCertificate", "registryTlsKey", "registryTlsCa"] as const;

export const pinnedImageRef = imageReference("registry:2.8.3").refine((v) => !isFloating(v), {
  error: "must be pinned to a version tag or digest (not latest, not untagged)",
});

/** An absolute folder path, used as written in a shell and a hostPath: no '.' or '..' segments, no spaces. */
export const absoluteDir = z
  .string()
  .regex(/^\/[A-Za-z0-9._\-/]*$/, { error: "must be an absolute path such as /etc/docker/certs.d" })
  .refine((v) => !v.split("/").some((segment) => segment === ".." || segment === "."), { error: "must not have '.' or '..' segments" });

/**
 * Every node's containerd trusts the registry (opt-in, any mode): a DaemonSet writes `hosts.toml` (and the CA
 * with TLS) under `<certsDir>/<host>/` on each node, nodes that join later included.
 */
export const nodeTrustSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    certsDir: absoluteDir.default(MICROK8S_CERTS_DIR),
    image: pinnedImageRef.default(DEFAULT_NODE_TRUST_IMAGE),
    namespace: namespaceName.default("registry-node-trust"),
  })
  .prefault({});

/** How long to wait for `/v2/` after the registry is created: bounded, so a broken registry fails the update. */
export const readinessSchema = z
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
export const allowReplaceFromSchema = z
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

/** Which secret config keys are set, and (for the rules that check a value's shape or length) their raw text. */
export interface SecretPresence {
  has(key: string): boolean;
  raw(key: string): string | undefined;
}

/** The secret config the registry modes read, each a Pulumi secret (config/load.ts's PipelineSecrets extends it). */
export interface RegistrySecrets {
  /** Overrides the generated registry password (the push user's). */
  registryPassword?: pulumi.Output<string>;
  /** Overrides the generated password of the pull user that app namespaces' pull Secrets carry. */
  registryPullPassword?: pulumi.Output<string>;
  /** S3 (MinIO) keys for the registry's storage; generated when absent, for the MinIO admin to register. */
  s3AccessKey?: pulumi.Output<string>;
  s3SecretKey?: pulumi.Output<string>;
  /** The managed registry's own TLS certificate (PEM, with any intermediates), its key, and the CA that signed it. */
  registryTlsCertificate?: pulumi.Output<string>;
  registryTlsKey?: pulumi.Output<string>;
  registryTlsCa?: pulumi.Output<string>;
  /** Private key for `registry.ssh`. */
  sshPrivateKey?: pulumi.Output<string>;
}

/** What a mode's `create` is given beside its settings. */
export interface ModeContext {
  /** Secret config; each value stays a Pulumi secret. */
  secrets: RegistrySecrets;
  /** No earlier update recorded: generated credentials are new. */
  firstUpdate?: boolean;
  /** With a managed registry's retention on: how to build registry-prune's image. */
  pruneBuild?: PruneImageBuild;
}

/** What a mode's `create` made: how images and workloads reach the registry. */
export interface ModeRegistry {
  host: pulumi.Output<string>;
  credentials?: RegistryCredentials;
  ready?: pulumi.Resource;
  ca?: pulumi.Output<string>;
  uiServiceName?: pulumi.Output<string>;
  generatedS3Credentials?: { accessKey: pulumi.Output<string>; secretKey: pulumi.Output<string> };
}

/**
 * One registry mode: everything the config layer and PrivateRegistry ask of it. Adding a mode is one file
 * that exports one of these, and one line in modes/index.ts.
 */
export interface RegistryMode<S extends { mode: string; nodeTrust: z.infer<typeof nodeTrustSchema> }> {
  /** Its settings under `registry`, defaults included; `mode` is its literal name. */
  schema: z.ZodType<S>;
  /** The keys its schema accepts, for a message that names the mode a misplaced key belongs to. */
  keys: readonly string[];
  /** The environments in which a stack without `registry.mode` gets this mode. */
  defaultIn: readonly Environment[];
  /** The namespace the registry runs in, which no app may take; none for a registry outside the cluster. */
  namespace(settings: S): string | undefined;
  /** Where Docker on this machine pushes (host:port). */
  host(settings: S): string;
  /** Plain HTTP: clients need `insecure` / `http://` to reach it. */
  insecure(settings: S): boolean;
  /** What prod requires of it (auth, TLS, pinned images). */
  prodRules(settings: S): string[];
  /** Its own conditions on registry.nodeTrust, beside the shared ones. */
  nodeTrustRules(settings: S): string[];
  /** Which secret config keys it needs or refuses. */
  secretRules(settings: S, secrets: SecretPresence): string[];
  /** Every value the storage guard may compare (config/storageGuard.ts), and which of them it guards now. */
  storage: { values(settings: S): StorageRecord; guarded(settings: S): string[] };
  /** Its resources, children of `parent`. */
  create(name: string, settings: S, context: ModeContext, parent: pulumi.Resource): ModeRegistry;
}

/** TLS secrets set where the mode does not read them: each is refused, with why. */
export function unusedTlsSecrets(secrets: SecretPresence, generate: boolean): string[] {
  const why = generate ? "registry.tls.generate makes the certificate, so this one would be ignored" : "it is used only with registry.tls.enabled in managed mode, or registryTlsCa in external mode";
  return TLS_SECRET_KEYS.filter((key) => secrets.has(key)).map((key) => `${PROJECT}:${key} = (hidden): ${why}; remove it (pulumi config rm ${key})${generate ? " or set registry.tls.generate: false" : ""}`);
}
