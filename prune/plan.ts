import { newestFirst, TagFacts } from "./ordering";

export const DEFAULT_PROTECTED_TAGS = ["latest", "stable", "dev", "staging", "prod"];

export type Action =
  /** Kept: among the N newest, protected, or on a protected digest. */
  | "keep"
  /** Its digest is not used by any kept tag: the manifest is deleted, with every tag on it. */
  | "delete-manifest"
  /** Its digest is also under a kept tag: only this tag is removed (Distribution 3.x). */
  | "delete-tag"
  /** Its digest is also under a kept tag, and the registry cannot remove a tag alone (Distribution 2.8). */
  | "keep-shared";

export interface PlanEntry {
  repo: string;
  tag: string;
  digest: string;
  action: Action;
  why: string;
}

export interface PlanOptions {
  keep: number;
  protectTags: string[];
  protectDigests: string[];
  /** The registry deletes a tag alone (`DELETE /v2/<name>/manifests/<tag>`, Distribution 3.x). */
  tagDelete: boolean;
}

/** Decides, for one repository, what happens to every tag. Pure: nothing here talks to a registry. */
export function planRepository(repo: string, tags: TagFacts[], options: PlanOptions): PlanEntry[] {
  const ordered = [...tags].sort(newestFirst);
  const rank = new Map(ordered.map((t, i) => [t.tag, i]));
  const keepWhy = new Map<string, string>();
  ordered.forEach((t, i) => {
    if (options.protectTags.includes(t.tag)) keepWhy.set(t.tag, "protected tag");
    else if (options.protectDigests.includes(t.digest)) keepWhy.set(t.tag, "protected digest");
    else if (i < options.keep) keepWhy.set(t.tag, `newest ${i + 1} of ${options.keep}`);
  });
  const keptOnDigest = new Map<string, string>();
  for (const t of ordered) if (keepWhy.has(t.tag) && !keptOnDigest.has(t.digest)) keptOnDigest.set(t.digest, t.tag);

  return ordered.map((t): PlanEntry => {
    const base = { repo, tag: t.tag, digest: t.digest };
    const kept = keepWhy.get(t.tag);
    if (kept) return { ...base, action: "keep", why: kept };
    const sharedWith = keptOnDigest.get(t.digest);
    const position = `older than the ${options.keep} newest (rank ${(rank.get(t.tag) ?? 0) + 1})`;
    if (!sharedWith) return { ...base, action: "delete-manifest", why: position };
    return options.tagDelete
      ? { ...base, action: "delete-tag", why: `${position}; digest shared with kept tag ${sharedWith}: tag only` }
      : {
          ...base,
          action: "keep-shared",
          why: `${position}, but its digest is shared with kept tag ${sharedWith} and Distribution 2.8 cannot remove a tag alone`,
        };
  });
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
    digestsKeptShared: new Set(entries.filter((e) => e.action === "delete-tag" || e.action === "keep-shared").map(key)).size,
  };
}
