import * as semver from "semver";

/** What the ordering needs to know of one tag. */
export interface TagFacts {
  tag: string;
  digest: string;
  /** From the image config (`org.opencontainers.image.created`, else `created`); undefined when unknown. */
  created?: Date;
  /** When the digest is a multi-platform index: the digests of its platform manifests. */
  children?: string[];
}

/**
 * Manifests whose OCI `subject` is a digest (signatures, SBOMs, attestations), by subject, as the OCI 1.1
 * referrers API lists them. Empty where the registry does not serve that API (Distribution 2.8 and 3.1):
 * there clients keep the list under the fallback tag `sha256-<hex>`, an index whose children they are.
 */
export type ReferrersBySubject = Map<string, string[]>;

export type TagKind = "semver" | "date" | "other";

const DATE_SHAPES = [/^(\d{4})-(\d{2})-(\d{2})$/, /^(\d{4})(\d{2})(\d{2})(?:-(\d{2})(\d{2})(\d{2}))?$/];
/** Our combined strategy's prerelease (`v1.2.3-git-<sha>`): ordered by time, not by the sha's letters. */
const GIT_PRERELEASE = /^git-[0-9a-f]{7,40}(-dirty)?$/;

/**
 * Tags attached to the digest they name: cosign's tag-scheme artifacts (`sha256-<hex>.sig`, `.att`,
 * `.sbom`) and the OCI 1.1 referrers fallback tag (`sha256-<hex>`, an index of that digest's referrers).
 */
const ACCESSORY = /^sha256-([0-9a-f]{64})(?:\.(sig|att|sbom))?$/;

/** The digest an accessory tag belongs to (`sha256:<hex>`), or undefined for a release tag. */
export function accessorySubject(tag: string): string | undefined {
  const match = ACCESSORY.exec(tag);
  return match ? `sha256:${match[1]}` : undefined;
}

export function tagKind(tag: string): TagKind {
  if (semver.valid(tag)) return "semver";
  return dateOf(tag) !== undefined ? "date" : "other";
}

/** The instant a date-shaped tag names (UTC), or undefined. */
export function dateOf(tag: string): number | undefined {
  for (const shape of DATE_SHAPES) {
    const m = shape.exec(tag);
    if (!m) continue;
    const [y, mo, d, h = "0", mi = "0", s = "0"] = m.slice(1).map((v) => v ?? "0");
    const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    const check = new Date(t);
    if (check.getUTCMonth() === Number(mo) - 1 && check.getUTCDate() === Number(d) && Number(h) < 24 && Number(mi) < 60 && Number(s) < 60) return t;
  }
  return undefined;
}

const KIND_RANK: Record<TagKind, number> = { semver: 0, date: 1, other: 2 };
const createdOf = (t: TagFacts) => t.created?.getTime() ?? -Infinity;

function compareSemver(a: TagFacts, b: TagFacts): number {
  const [va, vb] = [semver.parse(a.tag)!, semver.parse(b.tag)!];
  const core = semver.compare(`${va.major}.${va.minor}.${va.patch}`, `${vb.major}.${vb.minor}.${vb.patch}`);
  if (core !== 0) return -core;
  const [pa, pb] = [va.prerelease.join("."), vb.prerelease.join(".")];
  if (GIT_PRERELEASE.test(pa) && GIT_PRERELEASE.test(pb)) return createdOf(b) - createdOf(a) || a.tag.localeCompare(b.tag);
  return -semver.compare(va, vb) || a.tag.localeCompare(b.tag);
}

/**
 * Newest first: semver tags in semver order (a leading v allowed, prereleases below their release), then
 * date-shaped tags by the date they name, then all others by the image's created time. Ties break on the
 * tag text so the order is total and the same on every run.
 */
export function newestFirst(a: TagFacts, b: TagFacts): number {
  const [ka, kb] = [tagKind(a.tag), tagKind(b.tag)];
  if (ka !== kb) return KIND_RANK[ka] - KIND_RANK[kb];
  if (ka === "semver") return compareSemver(a, b);
  if (ka === "date") return dateOf(b.tag)! - dateOf(a.tag)! || createdOf(b) - createdOf(a) || a.tag.localeCompare(b.tag);
  return createdOf(b) - createdOf(a) || a.tag.localeCompare(b.tag);
}

/**
 * The tags whose order is decided by created time, grouped: all "other" tags together, and the
 * `-git-<sha>` prereleases of one release. Undefined for tags the name alone orders.
 */
function createdGroup(tag: string): string | undefined {
  if (accessorySubject(tag)) return undefined; // never ranked
  const kind = tagKind(tag);
  if (kind === "other") return "other";
  if (kind !== "semver") return undefined;
  const version = semver.parse(tag)!;
  return GIT_PRERELEASE.test(version.prerelease.join(".")) ? `git:${version.major}.${version.minor}.${version.patch}` : undefined;
}

/**
 * The digests whose created time the ordering needs (so their config blob must be read): those in a group
 * that holds at least two digests. A lone `latest` among semver tags needs none: its place is fixed.
 */
export function digestsNeedingCreated(tags: Pick<TagFacts, "tag" | "digest">[]): string[] {
  const groups = new Map<string, Set<string>>();
  for (const { tag, digest } of tags) {
    const group = createdGroup(tag);
    if (group) groups.set(group, (groups.get(group) ?? new Set()).add(digest));
  }
  return [...new Set([...groups.values()].filter((digests) => digests.size > 1).flatMap((digests) => [...digests]))];
}
