/**
 * The first of loadConfig's three phases (read, validate, plan): what the engine handed over, as plain
 * values, with nothing checked yet. The secret values are read only to know which are set, whether each
 * was stored encrypted, and bcrypt's length limit; the program uses them only as secret Outputs (load.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { OBJECT_KEYS, PROJECT, RawConfig, SECRET_CONFIG_KEYS, StackRead, STRING_KEYS } from "./parse";

/**
 * Whether the engine handed `key` over as a secret (encrypted in the stack file). The SDK keeps the list of
 * secret keys but exports its reader only internally; without it, every value counts as plaintext, so a
 * changed SDK fails loudly instead of letting plaintext through.
 */
function isStoredAsSecret(key: string): boolean {
  const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
  return runtimeConfig.isConfigSecret?.(`${PROJECT}:${key}`) ?? false;
}

export function readStack(config: pulumi.Config): StackRead {
  const raw: RawConfig = {};
  for (const key of STRING_KEYS) raw[key] = config.get(key);
  for (const key of OBJECT_KEYS) raw[key] = config.getObject(key);
  const keys = Object.keys(pulumi.runtime.allConfig())
    .filter((key) => key.startsWith(`${PROJECT}:`))
    .map((key) => key.slice(PROJECT.length + 1));
  const secretValues = Object.fromEntries(SECRET_CONFIG_KEYS.map((key) => [key, pulumi.runtime.getConfig(`${PROJECT}:${key}`)]));
  const storedAsSecret = new Set(SECRET_CONFIG_KEYS.filter((key) => secretValues[key] !== undefined && isStoredAsSecret(key)));
  return { stack: pulumi.getStack(), raw, keys, secretValues, storedAsSecret };
}
