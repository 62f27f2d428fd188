/**
 * The storage guard. A few registry settings decide where the images live; changing one points the
 * registry at other, empty storage (a new volume, another bucket prefix, another mode) or runs a delete
 * that removes them. Each update records those settings as the stack output `registryStorage`; the next
 * one compares, before any resource exists, and refuses a change unless `registry.allowReplaceFrom`
 * names the exact value it replaces. Pure: the previous record is read in config/previousStorage.ts.
 */
import { parseBytes } from "../lib/quantity";
import { modeOf } from "../modes";
import { PROJECT } from "./project";
import type { AllowReplaceFrom, RegistrySettings } from "./registrySchema";

/** Guarded key (its path under `registry.`) → value, as an update recorded it. */
export type StorageRecord = Record<string, string>;

/** The stack output that carries the record from one update to the next. */
export const STORAGE_OUTPUT = "registryStorage";

/**
 * What is guarded under `r`, recorded for the next update: the subset of the values its mode may
 * compare that hold its images now (modes/*: `storage`).
 */
export function storageRecord(r: RegistrySettings): StorageRecord {
  const { values, guarded } = modeOf(r).storage;
  const kept = guarded(r);
  return Object.fromEntries(Object.entries(values(r)).filter(([k]) => kept.includes(k)));
}

/** Every guardable value of `r`, whether or not it is guarded now: what a recorded key is compared with. */
const currentValues = (r: RegistrySettings): StorageRecord => modeOf(r).storage.values(r);

/** What a change of `key` would do to the images. */
const EFFECTS: Record<string, string> = {
  mode: "replaces the registry with one that holds none of its images",
  namespace: "creates an empty volume in the new namespace (the old one is kept, but no longer served)",
  "storage.type": "points the registry at other, empty storage",
  "storage.storageClass": "replaces the volume with an empty one (the old one is kept, but no longer served)",
  "storage.bucket": "points the registry at an empty bucket",
  "storage.rootDirectory": "points the registry at an empty prefix of the bucket",
  ssh: "runs the old command's delete, microk8s disable registry, which deletes the addon's images (registry.disableOnDestroy is true)",
};

function allowedValue(allow: AllowReplaceFrom, key: string): string | undefined {
  const [head, tail] = key.split(".");
  if (tail === undefined) return (allow as Record<string, unknown>)[head] as string | undefined;
  return (allow.storage as Record<string, string | undefined> | undefined)?.[tail];
}

/**
 * A claim's size changes in place (an expansion, where the storage class allows it): a larger size holds
 * the same images, so only a smaller one, which Kubernetes refuses mid-update, is stopped here.
 */
function shrinkProblem(previous: StorageRecord, now: StorageRecord): string[] {
  const [from, to] = [parseBytes(previous["storage.size"] ?? ""), parseBytes(now["storage.size"] ?? "")];
  if (from === undefined || to === undefined || to >= from) return [];
  return [
    `${PROJECT}:registry.storage.size = ${JSON.stringify(now["storage.size"])}: is smaller than the volume's ${JSON.stringify(previous["storage.size"])} (recorded by the last update), ` +
      "and Kubernetes never shrinks a claim; keep the size, or move the images to a registry on a smaller volume (skopeo sync --all)",
  ];
}

/** Keys whose change is reported alone: the others follow from it. */
const LEADING_KEYS = ["mode", "storage.type"];

/**
 * One problem per guarded change from `previous` (the last update's record) to `r`, unless allowed. No
 * record (a first update, or a stack from before the guard) has nothing to compare.
 */
export function storageGuardProblems(previous: StorageRecord | undefined, r: RegistrySettings): string[] {
  if (!previous) return [];
  const now = currentValues(r);
  let changed = Object.keys(previous).filter((key) => key !== "storage.size" && (now[key] ?? "(none)") !== previous[key]);
  const leading = LEADING_KEYS.find((k) => changed.includes(k));
  if (leading === "mode") changed = ["mode"];
  else if (leading) changed = changed.filter((k) => !k.startsWith("storage.") || k === leading);
  const shrink = now["storage.type"] === previous["storage.type"] ? shrinkProblem(previous, now) : [];
  return changed
    .filter((key) => allowedValue(r.allowReplaceFrom, key) !== previous[key])
    .map((key) => {
      const from = previous[key];
      const to = now[key] ?? "(none)";
      return (
        `${PROJECT}:registry.${key} = ${JSON.stringify(to)}: the registry's images are stored under ${key} ${JSON.stringify(from)} (recorded by the last update), ` +
        `and this change ${EFFECTS[key] ?? "moves them"}. Copy the images first (skopeo sync --all, or regctl image copy, from the current registry ` +
        `into one on the new storage), then allow exactly this change with: pulumi config set --path registry.allowReplaceFrom.${key} ${JSON.stringify(from)}`
      );
    })
    .concat(shrink);
}

/** A record read back from the stack output: an object of strings, anything else ignored. */
export function parseStorageRecord(value: unknown): StorageRecord | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string");
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}
