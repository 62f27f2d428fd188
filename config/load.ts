import * as pulumi from "@pulumi/pulumi";
import { AppBuildPlan, BuildPlanError, planAppBuild } from "../lib/appBuildPlan";
import { planPruneImage, PruneImageBuild } from "../lib/pruneImage";
import { ConfigError } from "./errors";
import { modeOf } from "../modes";
import { TLS_SECRET_KEYS } from "../modes/shared";
import { parseConfig, PipelineConfig, PROJECT, RawConfig } from "./parse";

/** Secret config: read only as Pulumi secrets, so their values never reach a log line or a plain output. */
export interface PipelineSecrets {
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
  /** cosign key pair's private half and its password, for images.sign. */
  cosignPrivateKey?: pulumi.Output<string>;
  cosignPassword?: pulumi.Output<string>;
  /** Both cosign secrets, present exactly when images.sign.enabled (validation requires them then). */
  signing?: { privateKey: pulumi.Output<string>; password: pulumi.Output<string> };
  /** `appSecrets.<app>.<NAME>`, or undefined when not set (the program then generates one). */
  appSecret?: (app: string, name: string) => pulumi.Output<string> | undefined;
}

const OBJECT_KEYS = ["registry", "apps", "images"] as const;
const STRING_KEYS = ["environment", "tagStrategy"] as const;
const SECRET_KEYS = ["registryPassword", "registryPullPassword", "s3AccessKey", "s3SecretKey", ...TLS_SECRET_KEYS, "sshPrivateKey", "cosignPrivateKey", "cosignPassword"] as const;
const KNOWN_KEYS: readonly string[] = [...OBJECT_KEYS, ...STRING_KEYS, ...SECRET_KEYS, "appSecrets"];

function readRaw(config: pulumi.Config): RawConfig {
  const raw: RawConfig = {};
  for (const key of STRING_KEYS) raw[key] = config.get(key);
  for (const key of OBJECT_KEYS) raw[key] = config.getObject(key);
  return raw;
}

/** Every key of the project's namespace the engine hands over, so a typo (`regsitry`) is refused, not ignored. */
function unknownKeyProblems(): string[] {
  return Object.keys(pulumi.runtime.allConfig())
    .filter((key) => key.startsWith(`${PROJECT}:`))
    .map((key) => key.slice(PROJECT.length + 1))
    .filter((key) => !KNOWN_KEYS.includes(key))
    .map((key) => `${PROJECT}:${key}: unknown key; the keys are ${KNOWN_KEYS.join(", ")} (check the spelling against the README's config reference)`);
}

const rawValue = (key: string) => pulumi.runtime.getConfig(`${PROJECT}:${key}`);

/**
 * Whether the engine handed `key` over as a secret (`pulumi config set --secret`, encrypted in the stack
 * file). The SDK keeps the list of secret keys but exports its reader only internally; without it, every
 * value counts as plaintext, so a changed SDK fails loudly instead of letting plaintext through.
 */
function isStoredAsSecret(key: string): boolean {
  const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
  return runtimeConfig.isConfigSecret?.(`${PROJECT}:${key}`) ?? false;
}

/** Secret config written in plaintext (set without --secret) is refused: it sits readable in Pulumi.<stack>.yaml. */
function plaintextSecretProblems(): string[] {
  const how: Record<string, string> = {
    sshPrivateKey: "pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519",
    cosignPrivateKey: "pulumi config set --secret cosignPrivateKey < cosign.key",
    registryTlsCertificate: "pulumi config set --secret registryTlsCertificate < tls.crt",
    registryTlsKey: "pulumi config set --secret registryTlsKey < tls.key",
    registryTlsCa: "pulumi config set --secret registryTlsCa < ca.crt",
    appSecrets: "pulumi config set --secret --path 'appSecrets.<app>.<NAME>' VALUE (for each value)",
  };
  return [...SECRET_KEYS, "appSecrets"]
    .filter((key) => rawValue(key) !== undefined && !isStoredAsSecret(key))
    .map((key) => `${PROJECT}:${key} = (hidden): is stored unencrypted in the stack file; remove it (pulumi config rm ${key}) and set it again with: ${how[key] ?? `pulumi config set --secret ${key} ...`}`);
}

function readSecrets(config: pulumi.Config): PipelineSecrets {
  const secrets: PipelineSecrets = {};
  for (const key of SECRET_KEYS) {
    // Presence only: the value itself stays inside a secret Output.
    if (rawValue(key) !== undefined) secrets[key] = config.requireSecret(key);
  }
  secrets.appSecret = readAppSecrets(config);
  return secrets;
}

/** Which app secrets are set, read from the raw config; the values stay inside secret Outputs. */
function presentAppSecrets(): Record<string, Record<string, unknown>> | string {
  const raw = rawValue("appSecrets");
  if (raw === undefined) return {};
  try {
    const parsed = JSON.parse(raw);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed;
  } catch {
    // reported below
  }
  return `${PROJECT}:appSecrets: must be an object of apps and names; set values with pulumi config set --secret --path 'appSecrets.<app>.<NAME>' VALUE`;
}

function readAppSecrets(config: pulumi.Config): PipelineSecrets["appSecret"] {
  const present = presentAppSecrets();
  if (typeof present === "string" || Object.keys(present).length === 0) return () => undefined;
  const values = config.requireSecretObject<Record<string, Record<string, string>>>("appSecrets");
  return (app, name) => (present[app]?.[name] === undefined ? undefined : pulumi.secret(values.apply((v) => String(v[app][name]))));
}

/** Rules that need the secret config's presence (never its values, but for bcrypt's length limit). */
function secretProblems(config: PipelineConfig): string[] {
  const problems: string[] = [];
  const has = (key: string) => rawValue(key) !== undefined;
  problems.push(...modeOf(config.registry).secretRules(config.registry, { has, raw: rawValue }));
  if (config.sign && (!has("cosignPrivateKey") || !has("cosignPassword"))) {
    problems.push(
      `${PROJECT}:cosignPrivateKey / cosignPassword = (not set): required when images.sign.enabled is true; ` +
        "make a key pair with cosign generate-key-pair, then pulumi config set --secret cosignPrivateKey < cosign.key " +
        "and pulumi config set --secret cosignPassword <its password>",
    );
  }
  const present = presentAppSecrets();
  if (typeof present === "string") return [...problems, present];
  for (const [app, names] of Object.entries(present)) {
    const settings = config.apps.find((a) => a.name === app);
    if (!settings) {
      problems.push(`${PROJECT}:appSecrets.${app}: no app is named ${app}; the apps are ${config.apps.map((a) => a.name).join(", ") || "(none)"}`);
      continue;
    }
    for (const name of Object.keys(names ?? {}).filter((n) => !settings.secretEnv.includes(n))) {
      problems.push(`${PROJECT}:appSecrets.${app}.${name}: ${app} has no secretEnv ${name}; its secretEnv is ${settings.secretEnv.join(", ") || "(empty)"}`);
    }
  }
  return problems;
}

/** Each built app's plan: contexts, Dockerfiles and git are read here, before any resource exists. */
function buildPlans(config: PipelineConfig, projectDir: string): { plans: Map<string, AppBuildPlan>; problems: string[] } {
  const plans = new Map<string, AppBuildPlan>();
  const problems: string[] = [];
  config.apps.forEach((app, i) => {
    if (!app.build) return;
    try {
      plans.set(app.name, planAppBuild(app, { strategy: config.tagStrategy, environment: config.environment, extraTags: config.extraTags, projectDir }));
    } catch (error) {
      const key = error instanceof BuildPlanError ? error.key : "version";
      problems.push(`${PROJECT}:apps.${i}.${key}: ${(error as Error).message}`);
    }
  });
  return { plans, problems };
}

export interface LoadedConfig {
  config: PipelineConfig;
  secrets: PipelineSecrets;
  /** By app name, for the apps built from source. */
  builds: Map<string, AppBuildPlan>;
  /** The registry-prune image, when a managed registry's retention is on. */
  pruneBuild?: PruneImageBuild;
}

/** Reads and validates the stack's whole config; throws before the program registers any resource. */
export function loadConfig(projectDir: string): LoadedConfig {
  const pulumiConfig = new pulumi.Config(PROJECT);
  const stack = pulumi.getStack();
  const unknown = unknownKeyProblems();
  let config: PipelineConfig;
  try {
    config = parseConfig(stack, readRaw(pulumiConfig));
  } catch (error) {
    if (error instanceof ConfigError && unknown.length > 0) throw new ConfigError(stack, [...unknown, ...error.problems]);
    throw error;
  }
  const { plans, problems } = buildPlans(config, projectDir);
  const all = [...unknown, ...plaintextSecretProblems(), ...secretProblems(config), ...problems];
  if (all.length > 0) throw new ConfigError(stack, all);
  const secrets = readSecrets(pulumiConfig);
  if (config.sign && secrets.cosignPrivateKey && secrets.cosignPassword) {
    secrets.signing = { privateKey: secrets.cosignPrivateKey, password: secrets.cosignPassword };
  }
  const r = config.registry;
  const pruneBuild = r.mode === "managed" && r.retention.enabled ? planPruneImage(projectDir, r.retention.build) : undefined;
  return { config, secrets, builds: plans, ...(pruneBuild ? { pruneBuild } : {}) };
}
