import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseConfig, PipelineConfig, PROJECT, RawConfig } from "./index";

/** Secret config: read only as Pulumi secrets, so their values never reach a log line or a plain output. */
export interface PipelineSecrets {
  /** Overrides the generated registry password. */
  registryPassword?: pulumi.Output<string>;
  /** S3 (MinIO) keys for the registry's storage; generated when absent, for the MinIO admin to register. */
  s3AccessKey?: pulumi.Output<string>;
  s3SecretKey?: pulumi.Output<string>;
  /** Private key for `registry.ssh`. */
  sshPrivateKey?: pulumi.Output<string>;
}

const OBJECT_KEYS = ["registry"] as const;
const STRING_KEYS = ["environment"] as const;
const SECRET_KEYS = ["registryPassword", "s3AccessKey", "s3SecretKey", "sshPrivateKey"] as const;

function readRaw(config: pulumi.Config): RawConfig {
  const raw: RawConfig = {};
  for (const key of STRING_KEYS) raw[key] = config.get(key);
  for (const key of OBJECT_KEYS) raw[key] = config.getObject(key);
  return raw;
}

function readSecrets(config: pulumi.Config): PipelineSecrets {
  const secrets: PipelineSecrets = {};
  for (const key of SECRET_KEYS) {
    // Presence only: the value itself stays inside a secret Output.
    if (pulumi.runtime.getConfig(`${PROJECT}:${key}`) !== undefined) secrets[key] = config.requireSecret(key);
  }
  return secrets;
}

/** Reads and validates the stack's config; throws before the program registers any resource. */
export function loadConfig(): { config: PipelineConfig; secrets: PipelineSecrets } {
  const pulumiConfig = new pulumi.Config(PROJECT);
  const config = parseConfig(pulumi.getStack(), readRaw(pulumiConfig));
  const secrets = readSecrets(pulumiConfig);
  if (config.registry.mode === "microk8s-addon" && config.registry.ssh && !secrets.sshPrivateKey) {
    throw new ConfigError(config.stack, [
      `${PROJECT}:sshPrivateKey = (not set): required when registry.ssh is set; ` +
        `set it with: pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`,
    ]);
  }
  return { config, secrets };
}
