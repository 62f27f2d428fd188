import { z } from "zod";
import { ConfigError, describeIssues } from "./errors";
import type { TagStrategy } from "../lib/tags";
import { AppSettings, appsSchema, imagesSchema, tagStrategySchema } from "./appsSchema";
import { REGISTRY_MODES, registrySchema, RegistrySettings } from "./registrySchema";

export const PROJECT = "microk8s-pipeline";
export const ENVIRONMENTS = ["dev", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

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
}

/** Raw stack values by key (without the project prefix), as Pulumi config holds them. */
export type RawConfig = Record<string, unknown>;

const environmentSchema = z.enum(ENVIRONMENTS, { error: `must be one of: ${ENVIRONMENTS.join(", ")}` });

function defaultMode(environment: string): (typeof REGISTRY_MODES)[number] {
  return environment === "prod" ? "managed" : "microk8s-addon";
}

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
  if (!registry.success) problems.push(...describeIssues(PROJECT, "registry", registry.error.issues));

  const apps = appsSchema.safeParse(raw.apps ?? [], { reportInput: true });
  if (!apps.success) problems.push(...describeIssues(PROJECT, "apps", apps.error.issues));
  const tagStrategy = tagStrategySchema.safeParse(raw.tagStrategy, { reportInput: true });
  if (!tagStrategy.success) problems.push(...describeIssues(PROJECT, "tagStrategy", tagStrategy.error.issues));
  const images = imagesSchema.safeParse(raw.images, { reportInput: true });
  if (!images.success) problems.push(...describeIssues(PROJECT, "images", images.error.issues));
  if (apps.success && environment === "prod") problems.push(...prodImageRules(apps.data));

  if (problems.length > 0 || !env.success || !registry.success || !apps.success || !tagStrategy.success || !images.success) {
    throw new ConfigError(stack, problems);
  }
  const extraTags = images.data.extraTags ?? (env.data === "prod" ? ["stable"] : ["latest"]);
  return { stack, environment: env.data, registry: registry.data, apps: apps.data, tagStrategy: tagStrategy.data, extraTags, sign: images.data.sign.enabled };
}

/** Prod deploys only what it can name exactly: never latest as the primary tag, prebuilt images by digest. */
function prodImageRules(apps: AppSettings[]): string[] {
  return apps.flatMap((app, i) => {
    const problems: string[] = [];
    if (app.tag === "latest") {
      problems.push(`${PROJECT}:apps.${i}.tag = "latest": latest can never be the primary tag in prod; use a version, git or date tag`);
    }
    if (app.image && !app.image.includes("@sha256:")) {
      problems.push(`${PROJECT}:apps.${i}.image = ${JSON.stringify(app.image)}: a prebuilt image in prod must be pinned by digest (repo@sha256:...)`);
    }
    return problems;
  });
}

export { ConfigError } from "./errors";
export * from "./registrySchema";
