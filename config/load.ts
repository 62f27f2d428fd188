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
  /** cosign key pair's private half and its password, for images.sign. */
  cosignPrivateKey?: pulumi.Output<string>;
  cosignPassword?: pulumi.Output<string>;
  /** `appSecrets.<app>.<NAME>`, or undefined when not set (the program then generates one). */
  appSecret?: (app: string, name: string) => pulumi.Output<string> | undefined;
}

const OBJECT_KEYS = ["registry", "apps", "images"] as const;
const STRING_KEYS = ["environment", "tagStrategy"] as const;
const SECRET_KEYS = ["registryPassword", "s3AccessKey", "s3SecretKey", "sshPrivateKey", "cosignPrivateKey", "cosignPassword"] as const;

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
  secrets.appSecret = readAppSecrets(config);
  return secrets;
}

/** Which app secrets are set is read from the raw config; the values stay inside secret Outputs. */
function readAppSecrets(config: pulumi.Config): PipelineSecrets["appSecret"] {
  const raw = pulumi.runtime.getConfig(`${PROJECT}:appSecrets`);
  if (raw === undefined) return () => undefined;
  let present: Record<string, Record<string, unknown>>;
  try {
    present = JSON.parse(raw);
  } catch {
    throw new Error(`${PROJECT}:appSecrets must be an object: set values with pulumi config set --secret --path 'appSecrets.<app>.<NAME>' VALUE`);
  }
  const values = config.requireSecretObject<Record<string, Record<string, string>>>("appSecrets");
  return (app, name) => (present[app]?.[name] === undefined ? undefined : pulumi.secret(values.apply((v) => String(v[app][name]))));
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
  if (config.sign && (!secrets.cosignPrivateKey || !secrets.cosignPassword)) {
    throw new ConfigError(config.stack, [
      `${PROJECT}:cosignPrivateKey / cosignPassword = (not set): required when images.sign.enabled is true; ` +
        "make a key pair with cosign generate-key-pair, then pulumi config set --secret cosignPrivateKey < cosign.key " +
        "and pulumi config set --secret cosignPassword <its password>",
    ]);
  }
  return { config, secrets };
}
