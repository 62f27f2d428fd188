import { accessorySubject, newestFirst, ReferrersBySubject, TagFacts } from "./ordering";

/** How the plan words a keep that in-use protection decided. */
const IN_USE = "in use by ";

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
  /** Empty for an untagged referrer deleted with its subject. */
  tag: string;
  digest: string;
  action: Action;
  why: string;
  /** For an index: its platform manifests, which a kept index needs. */
  children?: string[];
  /** Manifests whose OCI `subject` is this digest (signatures, SBOMs): a kept digest keeps them. */
  referrers?: string[];
}

export interface PlanOptions {
  keep: number;
  protectTags: string[];
  protectDigests: string[];
  /** Digests the cluster uses (registry-prune --in-use-from-cluster), each with its first user. */
  inUse?: Map<string, string>;
  /** The registry deletes a tag alone (`DELETE /v2/<name>/manifests/<tag>`, Distribution 3.x); only the wording depends on it. */
  tagDelete: boolean;
}

type Edges = Map<string, string[]>;

/** Every digest reachable from `roots` through `edges`. */
function reachable(roots: Iterable<string>, edges: Edges): Set<string> {
  const seen = new Set<string>();
  const walk = (digest: string) => {
    if (seen.has(digest)) return;
    seen.add(digest);
    for (const next of edges.get(digest) ?? []) walk(next);
  };
  for (const root of roots) walk(root);
  return seen;
}

const append = (edges: Edges, from: string, to: string[]) => edges.set(from, [...(edges.get(from) ?? []), ...to]);

/** What one repository holds, as the plan sees it. */
interface Graph {
  childrenOf: Edges;
  referrersOf: ReferrersBySubject;
  /** The subject of each accessory tag: its tag names it (cosign, the referrers fallback) or its digest refers to it. */
  subjectOfTag: (t: TagFacts) => string | undefined;
}

function graphOf(tags: TagFacts[], referrersOf: ReferrersBySubject): Graph {
  const childrenOf: Edges = new Map(tags.flatMap((t) => (t.children ? [[t.digest, t.children] as const] : [])));
  const subjectOf = new Map([...referrersOf].flatMap(([subject, refs]) => refs.map((r) => [r, subject] as const)));
  return { childrenOf, referrersOf, subjectOfTag: (t) => accessorySubject(t.tag) ?? subjectOf.get(t.digest) };
}

/** Who needs each digest: the first kept tag on it, the kept index that lists it, or the kept digest it refers to. */
function neededByKept(kept: TagFacts[], protectDigests: string[], inUse: Map<string, string>, graph: Graph): Map<string, string> {
  const neededBy = new Map<string, string>();
  const mark = (digest: string, why: string, root: string) => {
    if (neededBy.has(digest)) return;
    neededBy.set(digest, why);
    for (const child of graph.childrenOf.get(digest) ?? []) mark(child, `kept index ${root}, which lists it`, root);
    for (const referrer of graph.referrersOf.get(digest) ?? []) mark(referrer, `a referrer of kept ${root}`, root);
  };
  for (const t of kept) mark(t.digest, `kept tag ${t.tag}`, t.tag);
  for (const digest of protectDigests) mark(digest, "a protected digest", digest);
  for (const [digest, user] of inUse) mark(digest, `${IN_USE}${user}`, digest);
  return neededBy;
}

/**
 * Decides, for one repository, what happens to every tag. Pure: nothing here talks to a registry.
 * - Release tags are ranked newest first; the N newest, the protected ones and those on a digest the
 *   cluster uses are kept.
 * - Every digest a kept tag needs stays: its own, and (recursively) the platform manifests of a kept index
 *   and the referrers of a kept digest. A tag on such a digest is removed alone (on 2.8 through a throwaway
 *   manifest).
 * - Accessories (cosign's `sha256-<hex>.sig|.att|.sbom`, the referrers fallback tag `sha256-<hex>`, and
 *   any tag on a referrer) are never ranked: one is kept while its subject stays and deleted with it, and
 *   listed right after its subject. So are the untagged referrers of a deleted digest (as Harbor does).
 */
export function planRepository(repo: string, tags: TagFacts[], options: PlanOptions, referrersOf: ReferrersBySubject = new Map()): PlanEntry[] {
  const graph = graphOf(tags, referrersOf);
  const inUse = options.inUse ?? new Map<string, string>();
  const releases = tags.filter((t) => !graph.subjectOfTag(t)).sort(newestFirst);
  const accessories = tags.filter((t) => graph.subjectOfTag(t));
  const rank = new Map(releases.map((t, i) => [t.tag, i]));
  const keepWhy = new Map<string, string>();
  releases.forEach((t, i) => {
    if (options.protectTags.includes(t.tag)) keepWhy.set(t.tag, "protected tag");
    else if (options.protectDigests.includes(t.digest)) keepWhy.set(t.tag, "protected digest");
    else if (i < options.keep) keepWhy.set(t.tag, `newest ${i + 1} of ${options.keep}`);
    else if (inUse.has(t.digest)) keepWhy.set(t.tag, `${IN_USE}${inUse.get(t.digest)}`);
  });
  const neededBy = neededByKept(releases.filter((r) => keepWhy.has(r.tag)), options.protectDigests, inUse, graph);
  const facts = (t: TagFacts) => ({
    repo,
    tag: t.tag,
    digest: t.digest,
    ...(t.children ? { children: t.children } : {}),
    ...(referrersOf.get(t.digest)?.length ? { referrers: referrersOf.get(t.digest) } : {}),
  });

  const planned = releases.map((t): PlanEntry => {
    const kept = keepWhy.get(t.tag);
    if (kept) return { ...facts(t), action: "keep", why: kept };
    const position = `older than the ${options.keep} newest (rank ${(rank.get(t.tag) ?? 0) + 1})`;
    const needed = neededBy.get(t.digest);
    if (!needed) return { ...facts(t), action: "delete-manifest", why: position };
    const how = options.tagDelete ? "tag only" : "tag only, through a throwaway manifest (Distribution 2.8 deletes by digest)";
    return { ...facts(t), action: "delete-tag", why: `${position}; its digest is needed by ${needed}: ${how}` };
  });
  const entries: PlanEntry[] = [];
  const listed = new Set<string>();
  const tagged = new Set(tags.map((t) => t.digest));
  const add = (entry: PlanEntry) => {
    entries.push(entry);
    listed.add(entry.tag || `@${entry.digest}`);
    const goes = entry.action === "delete-manifest";
    for (const a of accessories.filter((x) => graph.subjectOfTag(x) === entry.digest && !listed.has(x.tag))) {
      add({ ...facts(a), action: goes ? "delete-manifest" : "keep", why: goes ? `accessory of ${entry.digest}, deleted with it` : `accessory of ${entry.digest}, which stays` });
    }
    if (!goes) return;
    // Untagged referrers go with their subject: listed by the referrers API, or as children of a deleted
    // fallback index. So do the untagged platform manifests of a deleted index: garbage collection runs
    // without --delete-untagged (it deletes index children on 2.8), so left behind they would never be freed.
    const fallbackSubject = accessorySubject(entry.tag);
    const orphans = [
      ...(referrersOf.get(entry.digest) ?? []).map((digest) => ({ digest, why: `untagged referrer of ${entry.digest}, deleted with it` })),
      ...(entry.children ?? []).map((digest) =>
        fallbackSubject ? { digest, why: `untagged referrer of ${fallbackSubject}, deleted with it` } : { digest, why: `untagged platform manifest of deleted index ${entry.digest}, deleted with it` },
      ),
    ];
    for (const { digest, why } of orphans.filter((o) => !tagged.has(o.digest) && !neededBy.has(o.digest) && !listed.has(`@${o.digest}`))) {
      add({ repo, tag: "", digest, action: "delete-manifest", why });
    }
  };
  for (const entry of planned) add(entry);
  // Accessories of a digest no tag names (pushed by digest, or a platform manifest) stay while it may be there.
  for (const a of accessories.filter((x) => !listed.has(x.tag))) {
    add({ ...facts(a), action: "keep", why: `accessory of ${graph.subjectOfTag(a)}, which no tag here names: left alone` });
  }
  return entries;
}

/**
 * The digests that a kept reference still needs, from a plan: what the executor must never delete, as a
 * last check against a wrong plan.
 */
export function neededDigests(entries: PlanEntry[]): Set<string> {
  const edges: Edges = new Map();
  for (const e of entries) append(edges, e.digest, [...(e.children ?? []), ...(e.referrers ?? [])]);
  return reachable(
    entries.filter((e) => e.action !== "delete-manifest").map((e) => e.digest),
    edges,
  );
}

export interface PlanSummary {
  tagsKept: number;
  tagsToDelete: number;
  digestsToDelete: number;
  digestsKeptShared: number;
  /** Tags kept only because the cluster uses their digest (--in-use-from-cluster). */
  tagsKeptInUse: number;
}

export function summarize(entries: PlanEntry[]): PlanSummary {
  const key = (e: PlanEntry) => `${e.repo}@${e.digest}`;
  return {
    tagsKept: entries.filter((e) => e.tag !== "" && e.action === "keep").length,
    tagsToDelete: entries.filter((e) => e.tag !== "" && (e.action === "delete-manifest" || e.action === "delete-tag")).length,
    digestsToDelete: new Set(entries.filter((e) => e.action === "delete-manifest").map(key)).size,
    digestsKeptShared: new Set(entries.filter((e) => e.action === "delete-tag").map(key)).size,
    tagsKeptInUse: entries.filter((e) => e.action === "keep" && e.why.startsWith(IN_USE)).length,
  };
}
