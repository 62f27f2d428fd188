/**
 * The registry modes, by name. The config schema's union, the defaults per environment, the misplaced-key
 * hints, the parse rules and PrivateRegistry all read this table: a new mode is one file and one line here.
 */
import { z } from "zod";
import type { Environment } from "../config/project";
import { addonMode } from "./addon";
import { externalMode } from "./external";
import { managedMode } from "./managed";
import type { RegistryMode } from "./shared";

export const REGISTRY_MODE_TABLE = {
  "microk8s-addon": addonMode,
  managed: managedMode,
  external: externalMode,
} as const;

type Table = typeof REGISTRY_MODE_TABLE;
export type RegistryModeName = keyof Table;
/** The settings of whichever mode `registry.mode` names, defaults applied. */
export type RegistrySettings = { [K in RegistryModeName]: Table[K] extends RegistryMode<infer S> ? S : never }[RegistryModeName];

export const REGISTRY_MODES = Object.keys(REGISTRY_MODE_TABLE) as RegistryModeName[];

export const registrySchema = z.discriminatedUnion(
  "mode",
  Object.values(REGISTRY_MODE_TABLE).map((m) => m.schema) as unknown as [z.ZodObject, ...z.ZodObject[]],
  { error: `mode must be one of: ${REGISTRY_MODES.join(", ")}` },
) as unknown as z.ZodType<RegistrySettings>;

/** The mode module of `settings`, typed for its settings. */
export function modeOf<S extends RegistrySettings>(settings: S): RegistryMode<S> {
  return REGISTRY_MODE_TABLE[settings.mode] as unknown as RegistryMode<S>;
}

/** The mode a stack without `registry.mode` gets. */
export function defaultMode(environment: Environment | string): RegistryModeName {
  return REGISTRY_MODES.find((name) => (REGISTRY_MODE_TABLE[name].defaultIn as readonly string[]).includes(environment)) ?? "microk8s-addon";
}

/** Keys that belong to one registry mode, for a message that names the mode when another one has them. */
const MODE_KEYS: Record<string, RegistryModeName> = Object.fromEntries(
  REGISTRY_MODES.flatMap((name) => REGISTRY_MODE_TABLE[name].keys.map((key) => [key, name])),
);

/** Why `key` is refused under `mode`: it belongs to another mode, or it is unknown. */
export function registryKeyHint(key: string, mode: unknown): string {
  const owner = MODE_KEYS[key];
  if (!owner || owner === mode) return `unknown key ${key}; check the spelling against the README's config reference`;
  return `${key} exists only in ${owner} mode (registry.mode is ${String(mode)})`;
}
