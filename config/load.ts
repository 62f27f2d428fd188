import * as pulumi from "@pulumi/pulumi";
import { AppBuildPlan, BuildPlanError, planAppBuild } from "../lib/appBuildPlan";
import { planPruneImage, PruneImageBuild } from "../lib/pruneImage";
import { ConfigError } from "./errors";
import { PipelineConfig, presentAppSecrets, PROJECT, SECRET_KEYS, StackRead, validateStack } from "./parse";
import { readStack } from "./read";
import type { RegistrySecrets } from "../modes/shared";
import type { AppSecretSource } from "../components/appDeployment";

/**
 * Every secret config value, as secret Outputs (read only as Pulumi secrets, so their values never reach a
 * log line or a plain output): the registry's (modes/shared.ts), signing's and the apps'.
 */
export interface PipelineSecrets extends RegistrySecrets {
  /** cosign key pair's private half and its password, for images.sign. */
  cosignPrivateKey?: pulumi.Output<string>;
  cosignPassword?: pulumi.Output<string>;
  /** Both cosign secrets, present exactly when images.sign.enabled (validation requires them then). */
  signing?: { privateKey: pulumi.Output<string>; password: pulumi.Output<string> };
  /** `appSecrets.<app>.<NAME>`, or undefined when not set (the program then generates one). */
  appSecret?: AppSecretSource;
}

/** The secrets as secret Outputs: set ones only, so an unset one stays undefined for its default. */
function readSecrets(config: pulumi.Config, read: StackRead): PipelineSecrets {
  const secrets: PipelineSecrets = {};
  for (const key of SECRET_KEYS) if (read.secretValues[key] !== undefined) secrets[key] = config.requireSecret(key);
  secrets.appSecret = readAppSecrets(config, read);
  return secrets;
}

function readAppSecrets(config: pulumi.Config, read: StackRead): PipelineSecrets["appSecret"] {
  const present = presentAppSecrets(read);
  if (typeof present === "string" || Object.keys(present).length === 0) return () => undefined;
  const values = config.requireSecretObject<Record<string, Record<string, string>>>("appSecrets");
  return (app, name) => (present[app]?.[name] === undefined ? undefined : pulumi.secret(values.apply((v) => String(v[app][name]))));
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

/**
 * Reads, validates and plans the stack's whole config, in that order (config/read.ts, parse.ts's
 * validateStack, then the builds here: file and git reads), and throws one ConfigError listing every
 * problem before the program registers any resource.
 */
export function loadConfig(projectDir: string): LoadedConfig {
  const pulumiConfig = new pulumi.Config(PROJECT);
  const read = readStack(pulumiConfig);
  const { config, problems } = validateStack(read);
  const { plans, problems: planProblems } = buildPlans(config, projectDir);
  const all = [...problems, ...planProblems];
  if (all.length > 0) throw new ConfigError(read.stack, all);
  const secrets = readSecrets(pulumiConfig, read);
  if (config.sign && secrets.cosignPrivateKey && secrets.cosignPassword) {
    secrets.signing = { privateKey: secrets.cosignPrivateKey, password: secrets.cosignPassword };
  }
  const r = config.registry;
  const pruneBuild = r.mode === "managed" && r.retention.enabled ? planPruneImage(projectDir, r.retention.build) : undefined;
  return { config, secrets, builds: plans, ...(pruneBuild ? { pruneBuild } : {}) };
}
