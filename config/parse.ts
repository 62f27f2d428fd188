import { z } from "zod";
import { ConfigError, describeIssues } from "./errors";
import type { TagStrategy } from "../lib/tags";
import { AppSettings, appsSchema, imagesSchema, ScanSettings, tagStrategySchema } from "./appsSchema";
import * as semver from "semver";
import { isDigestPinned } from "../lib/imageRef";
import { defaultMode, modeOf, registryKeyHint, registrySchema, RegistrySettings } from "../modes";
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

