import { z } from "zod";
import { ConfigError, describeIssues } from "./errors";
import { REGISTRY_MODES, registrySchema, RegistrySettings } from "./registrySchema";

export const PROJECT = "microk8s-pipeline";
export const ENVIRONMENTS = ["dev", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Everything the program needs, typed and validated; secrets are read separately and never pass through here. */
export interface PipelineConfig {
  stack: string;
  environment: Environment;
  registry: RegistrySettings;
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

  if (problems.length > 0 || !env.success || !registry.success) throw new ConfigError(stack, problems);
  return { stack, environment: env.data, registry: registry.data };
}

export { ConfigError } from "./errors";
export * from "./registrySchema";
