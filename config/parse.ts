import { z } from "zod";
import { ConfigError, describeIssues } from "./errors";
import type { TagStrategy } from "../lib/tags";
import { AppSettings, appsSchema, imagesSchema, ScanSettings, tagStrategySchema } from "./appsSchema";
import * as semver from "semver";
import { isDigestPinned } from "../lib/imageRef";
import { defaultMode, modeOf, registryKeyHint, registrySchema, RegistrySettings } from "../modes";
import { TLS_SECRET_KEYS } from "../modes/shared";
import { ENVIRONMENTS, PROJECT, type Environment } from "./project";

export { ENVIRONMENTS, PROJECT, type Environment };

/** Everything the program needs, typed and validated; secrets are read separately and never pass through here. */
export interface PipelineConfig {
  stack: string;
  environment: Environment;
  registry: RegistrySettings;
  apps: AppSettings[];
  tagStrategy: TagStrategy;
  /** Moving tags pushed beside the primary tag. */
  extraTags: string[];
  /** Sign pushed digests with cosign. */
  sign: boolean;
  /** The vulnerability gate on pushed digests. */
  scan: ScanSettings;
}

/** Raw stack values by key (without the project prefix), as Pulumi config holds them. */
export type RawConfig = Record<string, unknown>;

export const OBJECT_KEYS = ["registry", "apps", "images"] as const;
export const STRING_KEYS = ["environment", "tagStrategy"] as const;
export const SECRET_KEYS = ["registryPassword", "registryPullPassword", "s3AccessKey", "s3SecretKey", ...TLS_SECRET_KEYS, "sshPrivateKey", "cosignPrivateKey", "cosignPassword"] as const;
/** The secret keys and `appSecrets` (an object of secret values). */
export const SECRET_CONFIG_KEYS: readonly string[] = [...SECRET_KEYS, "appSecrets"];
const KNOWN_KEYS: readonly string[] = [...OBJECT_KEYS, ...STRING_KEYS, ...SECRET_CONFIG_KEYS];

/** What config/read.ts read of the stack, and all that validation looks at. */
export interface StackRead {
  stack: string;
  /** The non-secret values by key, as Pulumi config holds them. */
  raw: RawConfig;
  /** Every key of the project's namespace, known or not. */
  keys: string[];
  /** The secret keys' values as the engine gave them (undefined when unset). */
  secretValues: Record<string, string | undefined>;
  /** The secret keys set with `pulumi config set --secret`. */
  storedAsSecret: Set<string>;
}

const environmentSchema = z.enum(ENVIRONMENTS, { error: `must be one of: ${ENVIRONMENTS.join(", ")}` });

/**
 * Parses and validates the whole stack config. Pure, so every rule is tested without Pulumi; throws a
 * ConfigError listing every problem at once, before any resource is created.
 */
export function parseConfig(stack: string, raw: RawConfig): PipelineConfig {
  const problems: string[] = [];
  const env = environmentSchema.safeParse(raw.environment, { reportInput: true });
  if (!env.success) problems.push(...describeIssues(PROJECT, "environment", env.error.issues));
  const environment = env.success ? env.data : "dev";

  const registryInput = raw.registry ?? {};
  const withMode =
    typeof registryInput === "object" && registryInput !== null && !("mode" in registryInput)
      ? { mode: defaultMode(environment), ...registryInput }
      : registryInput;
  const registry = registrySchema.safeParse(withMode, { reportInput: true });
  if (!registry.success) {
    const mode = (withMode as { mode?: unknown } | undefined)?.mode;
    problems.push(...describeIssues(PROJECT, "registry", registry.error.issues, (key) => registryKeyHint(key, mode)));
  }

  const apps = appsSchema.safeParse(raw.apps ?? [], { reportInput: true });
  if (!apps.success) problems.push(...describeIssues(PROJECT, "apps", apps.error.issues));
  const tagStrategy = tagStrategySchema.safeParse(raw.tagStrategy, { reportInput: true });
  if (!tagStrategy.success) problems.push(...describeIssues(PROJECT, "tagStrategy", tagStrategy.error.issues));
  const images = imagesSchema.safeParse(raw.images, { reportInput: true });
  if (!images.success) problems.push(...describeIssues(PROJECT, "images", images.error.issues));
  if (apps.success && environment === "prod") problems.push(...prodImageRules(apps.data));
  if (apps.success && registry.success) problems.push(...namespaceRules(registry.data, apps.data));
  if (registry.success && environment === "prod") problems.push(...modeOf(registry.data).prodRules(registry.data));
  if (registry.success) problems.push(...nodeTrustRules(registry.data, environment, apps.success ? apps.data : []));
  if (apps.success && tagStrategy.success) problems.push(...versionRules(apps.data, tagStrategy.data));

  if (problems.length > 0 || !env.success || !registry.success || !apps.success || !tagStrategy.success || !images.success) {
    throw new ConfigError(stack, problems);
  }
  const extraTags = images.data.extraTags ?? (env.data === "prod" ? ["stable"] : ["latest"]);
  return { stack, environment: env.data, registry: registry.data, apps: apps.data, tagStrategy: tagStrategy.data, extraTags, sign: images.data.sign.enabled, scan: images.data.scan };
}

/**
 * Prod deploys only what it can name exactly (never latest as the primary tag, prebuilt images by digest)
 * and exposes nothing by accident.
 */
function prodImageRules(apps: AppSettings[]): string[] {
  return apps.flatMap((app, i) => {
    const problems: string[] = [];
    if (app.tag === "latest") {
      problems.push(`${PROJECT}:apps.${i}.tag = "latest": latest can never be the primary tag in prod; use a version, git or date tag`);
    }
    if (app.image && !isDigestPinned(app.image)) {
      problems.push(`${PROJECT}:apps.${i}.image = ${JSON.stringify(app.image)}: a prebuilt image in prod must be pinned by digest (repo@sha256:...)`);
    }
    if (app.service.type !== "ClusterIP" && !app.service.expose) {
      problems.push(
        `${PROJECT}:apps.${i}.service.type = "${app.service.type}": opens the app outside the cluster; in prod set apps.${i}.service.expose: true to say it is meant (or use ClusterIP)`,
      );
    }
    return problems;
  });
}

/** The registry's own namespace is not an app namespace: two Namespace resources would claim it. */
function namespaceRules(registry: RegistrySettings, apps: AppSettings[]): string[] {
  const registryNamespace = modeOf(registry).namespace(registry);
  return apps.flatMap((app, i) =>
    app.namespace === registryNamespace
      ? [`${PROJECT}:apps.${i}.namespace = "${app.namespace}": is the registry's namespace; give the app a namespace of its own`]
      : [],
  );
}

/**
 * Node trust: what its mode says of it (the addon refuses its own localhost:32000), a namespace of its
 * own, and in prod its (third-party) image by digest.
 */
function nodeTrustRules(registry: RegistrySettings, environment: string, apps: AppSettings[]): string[] {
  const trust = registry.nodeTrust;
  if (!trust.enabled) return [];
  const problems: string[] = [];
  const mode = modeOf(registry);
  problems.push(...mode.nodeTrustRules(registry));
  const taken = [mode.namespace(registry), ...apps.map((a) => a.namespace)];
  if (taken.includes(trust.namespace)) {
    problems.push(`${PROJECT}:registry.nodeTrust.namespace = "${trust.namespace}": is the registry's or an app's namespace; node trust gets a namespace of its own`);
  }
  if (environment === "prod" && !isDigestPinned(trust.image)) {
    problems.push(`${PROJECT}:registry.nodeTrust.image = ${JSON.stringify(trust.image)}: must be pinned by digest in prod (${trust.image.split("@")[0]}@sha256:...; docker buildx imagetools inspect ${trust.image} gives it)`);
  }
  return problems;
}

/** Strategies that read the version need semver, checked here rather than while resources are registered. */
function versionRules(apps: AppSettings[], strategy: TagStrategy): string[] {
  if (strategy !== "semver" && strategy !== "combined") return [];
  return apps.flatMap((app, i) =>
    app.build && !app.tag && !semver.valid(app.version)
      ? [`${PROJECT}:apps.${i}.version = ${JSON.stringify(app.version)}: must be semver (1.2.3 or v1.2.3-rc.1) with tagStrategy ${strategy}`]
      : [],
  );
}


/**
 * The second phase: the whole config checked, with nothing read and nothing built. Throws the parse's
 * ConfigError (with any unknown keys first); otherwise returns the config and the problems of the rules
 * that look at the secrets' presence, for loadConfig to list with the build plans' own.
 */
export function validateStack(read: StackRead): { config: PipelineConfig; problems: string[] } {
  const unknown = unknownKeyProblems(read.keys);
  let config: PipelineConfig;
  try {
    config = parseConfig(read.stack, read.raw);
  } catch (error) {
    if (error instanceof ConfigError && unknown.length > 0) throw new ConfigError(read.stack, [...unknown, ...error.problems]);
    throw error;
  }
  return { config, problems: [...unknown, ...plaintextSecretProblems(read), ...secretProblems(config, read)] };
}

/** Every key of the project's namespace must be known, so a typo (`regsitry`) is refused, not ignored. */
function unknownKeyProblems(keys: string[]): string[] {
  return keys
    .filter((key) => !KNOWN_KEYS.includes(key))
    .map((key) => `${PROJECT}:${key}: unknown key; the keys are ${KNOWN_KEYS.join(", ")} (check the spelling against the README's config reference)`);
}

/** Secret config written in plaintext (set without --secret) is refused: it sits readable in Pulumi.<stack>.yaml. */
function plaintextSecretProblems(read: StackRead): string[] {
  const how: Record<string, string> = {
    sshPrivateKey: "pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519",
    cosignPrivateKey: "pulumi config set --secret cosignPrivateKey < cosign.key",
    registryTlsCertificate: "pulumi config set --secret registryTlsCertificate < tls.crt",
    registryTlsKey: "pulumi config set --secret registryTlsKey < tls.key",
    registryTlsCa: "pulumi config set --secret registryTlsCa < ca.crt",
    appSecrets: "pulumi config set --secret --path 'appSecrets.<app>.<NAME>' VALUE (for each value)",
  };
  return SECRET_CONFIG_KEYS.filter((key) => read.secretValues[key] !== undefined && !read.storedAsSecret.has(key)).map(
    (key) => `${PROJECT}:${key} = (hidden): is stored unencrypted in the stack file; remove it (pulumi config rm ${key}) and set it again with: ${how[key] ?? `pulumi config set --secret ${key} ...`}`,
  );
}

/** Which app secrets are set (apps, then names); a message when appSecrets is not such an object. */
export function presentAppSecrets(read: Pick<StackRead, "secretValues">): Record<string, Record<string, unknown>> | string {
  const raw = read.secretValues.appSecrets;
  if (raw === undefined) return {};
  try {
    const parsed = JSON.parse(raw);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed;
  } catch {
    // reported below
  }
  return `${PROJECT}:appSecrets: must be an object of apps and names; set values with pulumi config set --secret --path 'appSecrets.<app>.<NAME>' VALUE`;
}

/** Rules that need the secret config's presence (never its values, but for bcrypt's length limit). */
function secretProblems(config: PipelineConfig, read: StackRead): string[] {
  const raw = (key: string) => read.secretValues[key];
  const has = (key: string) => raw(key) !== undefined;
  const problems = [...modeOf(config.registry).secretRules(config.registry, { has, raw })];
  if (config.sign && (!has("cosignPrivateKey") || !has("cosignPassword"))) {
    problems.push(
      `${PROJECT}:cosignPrivateKey / cosignPassword = (not set): required when images.sign.enabled is true; ` +
        "make a key pair with cosign generate-key-pair, then pulumi config set --secret cosignPrivateKey < cosign.key " +
        "and pulumi config set --secret cosignPassword <its password>",
    );
  }
  const present = presentAppSecrets(read);
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
