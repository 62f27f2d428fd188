import { accessorySubject, newestFirst, TagFacts } from "./ordering";

export const DEFAULT_PROTECTED_TAGS = ["latest", "stable", "dev", "staging", "prod"];

export type Action =
  /** Kept: among the N newest, protected, on a protected digest, or an accessory of a kept digest. */
  | "keep"
  /** Its digest is needed by nothing kept: the manifest is deleted, with every tag on it. */
  | "delete-manifest"
  /**
   * Its digest is still needed (under a kept tag, or a platform manifest of a kept index): only this tag is
   * removed (by tag on Distribution 3.x, through a throwaway manifest on 2.8).
   */
  | "delete-tag";

export interface PlanEntry {
  repo: string;
  tag: string;
  digest: string;
  action: Action;
  why: string;
  /** For an index: its platform manifests, which a kept index needs. */
  children?: string[];
}

export interface PlanOptions {
  keep: number;
  protectTags: string[];
  protectDigests: string[];
  /** The registry deletes a tag alone (`DELETE /v2/<name>/manifests/<tag>`, Distribution 3.x); only the wording depends on it. */
  tagDelete: boolean;
}

/** Every digest reachable from `roots` through index children. */
function reachable(roots: Iterable<string>, childrenOf: Map<string, string[]>): Set<string> {
  const seen = new Set<string>();
  const walk = (digest: string) => {
    if (seen.has(digest)) return;
    seen.add(digest);
    for (const child of childrenOf.get(digest) ?? []) walk(child);
  };
  for (const root of roots) walk(root);
  return seen;
}

/**
 * Decides, for one repository, what happens to every tag. Pure: nothing here talks to a registry.
 * - Release tags are ranked newest first; the N newest and the protected ones are kept.
 * - Every digest a kept tag needs stays: its own, and (recursively) the platform manifests of a kept index.
 *   A tag on such a digest is removed alone (on 2.8 through a throwaway manifest).
 * - Accessories (cosign's `sha256-<hex>.sig|.att|.sbom`) are never ranked: one is kept while its subject
 *   stays and deleted with it, and listed right after its subject.
 */
export function planRepository(repo: string, tags: TagFacts[], options: PlanOptions): PlanEntry[] {
  const releases = tags.filter((t) => !accessorySubject(t.tag)).sort(newestFirst);
  const accessories = tags.filter((t) => accessorySubject(t.tag));
  const childrenOf = new Map(tags.flatMap((t) => (t.children ? [[t.digest, t.children] as const] : [])));
  const rank = new Map(releases.map((t, i) => [t.tag, i]));
  const keepWhy = new Map<string, string>();
  releases.forEach((t, i) => {
    if (options.protectTags.includes(t.tag)) keepWhy.set(t.tag, "protected tag");
    else if (options.protectDigests.includes(t.digest)) keepWhy.set(t.tag, "protected digest");
    else if (i < options.keep) keepWhy.set(t.tag, `newest ${i + 1} of ${options.keep}`);
  });
  // Who needs each digest: the first kept tag on it, or the kept index that lists it.
  const neededBy = new Map<string, string>();
  for (const t of releases.filter((r) => keepWhy.has(r.tag))) {
    if (!neededBy.has(t.digest)) neededBy.set(t.digest, `kept tag ${t.tag}`);
    for (const child of reachable([t.digest], childrenOf)) if (!neededBy.has(child)) neededBy.set(child, `kept index ${t.tag}, which lists it`);
  }
  for (const digest of reachable(options.protectDigests, childrenOf)) if (!neededBy.has(digest)) neededBy.set(digest, "a protected digest");

  const planned = releases.map((t): PlanEntry => {
    const base = { repo, tag: t.tag, digest: t.digest, ...(t.children ? { children: t.children } : {}) };
    const kept = keepWhy.get(t.tag);
    if (kept) return { ...base, action: "keep", why: kept };
    const position = `older than the ${options.keep} newest (rank ${(rank.get(t.tag) ?? 0) + 1})`;
    const needed = neededBy.get(t.digest);
    if (!needed) return { ...base, action: "delete-manifest", why: position };
    const how = options.tagDelete ? "tag only" : "tag only, through a throwaway manifest (Distribution 2.8 deletes by digest)";
    return { ...base, action: "delete-tag", why: `${position}; its digest is needed by ${needed}: ${how}` };
  });
  const deleted = new Set(planned.filter((e) => e.action === "delete-manifest").map((e) => e.digest));
  const entries: PlanEntry[] = [];
  for (const entry of planned) {
    entries.push(entry);
    for (const a of accessories.filter((x) => accessorySubject(x.tag) === entry.digest && !entries.some((e) => e.tag === x.tag))) {
      const goes = deleted.has(entry.digest);
      entries.push({ repo, tag: a.tag, digest: a.digest, action: goes ? "delete-manifest" : "keep", why: goes ? `accessory of ${entry.digest}, deleted with it` : `accessory of ${entry.digest}, which stays` });
    }
  }
  // Accessories of a digest no tag names (pushed by digest, or a platform manifest) stay while it may be there.
  for (const a of accessories.filter((x) => !entries.some((e) => e.tag === x.tag))) {
    entries.push({ repo, tag: a.tag, digest: a.digest, action: "keep", why: `accessory of ${accessorySubject(a.tag)}, which no tag here names: left alone` });
  }
  return entries;
}

/**
 * The digests that a kept reference still needs, from a plan: what the executor must never delete, as a
 * last check against a wrong plan.
 */
export function neededDigests(entries: PlanEntry[]): Set<string> {
  const childrenOf = new Map(entries.flatMap((e) => (e.children ? [[e.digest, e.children] as const] : [])));
  return reachable(
    entries.filter((e) => e.action !== "delete-manifest").map((e) => e.digest),
    childrenOf,
  );
}

export interface PlanSummary {
  tagsToDelete: number;
  digestsToDelete: number;
  digestsKeptShared: number;
}

export function summarize(entries: PlanEntry[]): PlanSummary {
  const key = (e: PlanEntry) => `${e.repo}@${e.digest}`;
  return {
    tagsToDelete: entries.filter((e) => e.action === "delete-manifest" || e.action === "delete-tag").length,
    digestsToDelete: new Set(entries.filter((e) => e.action === "delete-manifest").map(key)).size,
    digestsKeptShared: new Set(entries.filter((e) => e.action === "delete-tag").map(key)).size,
  };
}
