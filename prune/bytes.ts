/**
 * How many bytes the next garbage collection frees once a plan is carried out (registry-prune
 * --count-bytes): the blobs (configs, layers) and manifests that only deleted manifests reference. A blob is
 * stored once for every repository, so one a kept manifest anywhere in the run still references is not
 * counted. An estimate: manifests outside the run (another --repo, an untagged manifest no tag reaches)
 * may still hold a blob counted here, so it is an upper bound.
 */
import { mapLimit, RegistryClient, RegistryError, registryJson } from "./http";
import { MANIFEST_ACCEPT } from "./mediaTypes";
import { checkedDigest } from "./names";
import type { PlanEntry } from "./plan";

/** What one manifest holds: its own size, the blobs it references, and (an index) its platform manifests. */
export interface ManifestFacts {
  size: number;
  blobs: { digest: string; size: number }[];
  children: string[];
}

const descriptors = (list: unknown): { digest?: unknown; size?: unknown }[] => (Array.isArray(list) ? list : []);
const sizeOf = (value: unknown) => (typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : 0);

/** A manifest's facts from its body (any of the four types). */
export function manifestFacts(body: unknown, size: number, what: string): ManifestFacts {
  const m = (body ?? {}) as { config?: { digest?: unknown; size?: unknown }; layers?: unknown; manifests?: unknown };
  const blobs = [...(m.config ? [m.config] : []), ...descriptors(m.layers)].map((d) => ({ digest: checkedDigest(d.digest, what), size: sizeOf(d.size) }));
  return { size, blobs, children: descriptors(m.manifests).map((d) => checkedDigest(d.digest, what)) };
}

const key = (repo: string, digest: string) => `${repo}@${digest}`;

/** Every manifest the plan's digests reach (index children included), read once each. */
export async function readManifests(client: RegistryClient, plan: PlanEntry[], concurrency: number): Promise<Map<string, ManifestFacts>> {
  const facts = new Map<string, ManifestFacts>();
  let wanted = [...new Set(plan.map((e) => key(e.repo, e.digest)))];
  while (wanted.length > 0) {
    const read = await mapLimit(wanted, concurrency, async (k) => {
      const [repo, digest] = [k.slice(0, k.lastIndexOf("@")), k.slice(k.lastIndexOf("@") + 1)];
      const what = `reading ${k}`;
      const answer = client.checked(await client.send("GET", `/v2/${repo}/manifests/${digest}`, { Accept: MANIFEST_ACCEPT }), what, repo);
      if (answer.status !== 200) throw new RegistryError("http", `${what}: HTTP ${answer.status}`, answer.status);
      return [k, manifestFacts(registryJson(client.baseUrl, what, answer.body), Buffer.byteLength(answer.body), what)] as const;
    });
    for (const [k, f] of read) facts.set(k, f);
    wanted = [...new Set(read.flatMap(([k, f]) => f.children.map((c) => key(k.slice(0, k.lastIndexOf("@")), c))))].filter((k) => !facts.has(k));
  }
  return facts;
}

/** The bytes freed after GC, once `plan` is carried out. Pure. */
export function bytesFreed(plan: PlanEntry[], facts: Map<string, ManifestFacts>): number {
  const expand = (roots: string[]) => {
    const seen = new Set<string>();
    const walk = (k: string) => {
      if (seen.has(k)) return;
      seen.add(k);
      const repo = k.slice(0, k.lastIndexOf("@"));
      for (const child of facts.get(k)?.children ?? []) walk(key(repo, child));
    };
    roots.forEach(walk);
    return seen;
  };
  const kept = expand(plan.filter((e) => e.action !== "delete-manifest").map((e) => key(e.repo, e.digest)));
  const deleted = [...expand(plan.filter((e) => e.action === "delete-manifest").map((e) => key(e.repo, e.digest)))].filter((k) => !kept.has(k));
  const digestOf = (k: string) => k.slice(k.lastIndexOf("@") + 1);
  const keptDigests = new Set([...kept].map(digestOf));
  const keptBlobs = new Set([...kept].flatMap((k) => (facts.get(k)?.blobs ?? []).map((b) => b.digest)));
  const freed = new Map<string, number>();
  for (const k of deleted) {
    const f = facts.get(k);
    if (!f) continue;
    if (!keptDigests.has(digestOf(k))) freed.set(digestOf(k), f.size);
    for (const b of f.blobs) if (!keptBlobs.has(b.digest) && !keptDigests.has(b.digest)) freed.set(b.digest, b.size);
  }
  return [...freed.values()].reduce((a, b) => a + b, 0);
}
