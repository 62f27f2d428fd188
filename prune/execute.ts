import { createHash, randomBytes } from "crypto";
import { DELETES_DISABLED_HELP, mapLimit, RegistryClient, RegistryError } from "./http";
import { headManifest } from "./inventory";
import { MANIFEST_ACCEPT } from "./mediaTypes";
import { neededDigests, PlanEntry } from "./plan";

export interface Capability {
  deletesEnabled: boolean;
  /** `DELETE /v2/<name>/manifests/<tag>` removes a tag alone (Distribution 3.x; 2.8 answers 400 DIGEST_INVALID). */
  tagDelete: boolean;
}

/**
 * Asks the registry what it can delete by deleting a tag that cannot exist: 405 means deletes are off,
 * 400 DIGEST_INVALID means only digests can be deleted (2.8), 404 means tags can be deleted too (3.x).
 */
export async function probeCapability(client: RegistryClient, repo: string): Promise<Capability> {
  const probe = `registry-prune-probe-${randomBytes(6).toString("hex")}`;
  const answer = client.checked(await client.send("DELETE", `/v2/${repo}/manifests/${probe}`), "probing delete support", repo);
  if (answer.status === 405) return { deletesEnabled: false, tagDelete: false };
  if (answer.status === 400) return { deletesEnabled: true, tagDelete: false };
  if (answer.status === 404 || answer.status === 202) return { deletesEnabled: true, tagDelete: true };
  throw new RegistryError("http", `probing delete support on ${repo}: unexpected HTTP ${answer.status} ${answer.body.slice(0, 200)}`, answer.status);
}

export interface Outcome {
  entry: PlanEntry;
  ok: boolean;
  detail: string;
  /** Not deleted on purpose: its tag moved after the plan was made. */
  skipped?: boolean;
}

/** One DELETE; 404 counts as done (already gone, or a retried request whose first attempt worked). */
async function deleteRef(client: RegistryClient, repo: string, ref: string): Promise<{ ok: boolean; detail: string }> {
  try {
    const answer = client.checked(await client.send("DELETE", `/v2/${repo}/manifests/${ref}`), `deleting ${repo}@${ref}`, repo);
    if (answer.status === 202) return { ok: true, detail: "deleted" };
    if (answer.status === 404) return { ok: true, detail: "already gone" };
    if (answer.status === 405) throw new RegistryError("deletes-disabled", DELETES_DISABLED_HELP, 405);
    return { ok: false, detail: `HTTP ${answer.status} ${answer.body.slice(0, 200)}` };
  } catch (error) {
    if (error instanceof RegistryError && error.kind !== "http") throw error;
    return { ok: false, detail: (error as Error).message };
  }
}

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

/** The content digest of `data`, as a registry names it. */
const sha256Digest = (data: Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

/** Uploads `data` as a blob of `repo` (monolithic: POST, then PUT with the digest). */
async function uploadBlob(client: RegistryClient, repo: string, data: Buffer): Promise<string> {
  const digest = sha256Digest(data);
  const started = client.checked(await client.send("POST", `/v2/${repo}/blobs/uploads/`), `uploading to ${repo}`, repo);
  const location = started.headers.get("location");
  if (started.status !== 202 || !location) throw new RegistryError("http", `starting an upload to ${repo}: HTTP ${started.status}`, started.status);
  const url = new URL(location, client.baseUrl);
  // The upload URL comes from the registry: it must stay on the registry and in the repository's uploads.
  if (!client.isOwnOrigin(url) || !url.pathname.startsWith(`/v2/${repo}/blobs/uploads/`)) {
    throw new RegistryError("bad-answer", `uploading to ${repo}: the registry's upload location ${JSON.stringify(location.slice(0, 80))} leaves /v2/${repo}/blobs/uploads/; nothing was deleted`);
  }
  url.searchParams.set("digest", digest);
  const done = client.checked(await client.send("PUT", url.pathname + url.search, { "Content-Type": "application/octet-stream" }, data), `uploading to ${repo}`, repo);
  if (done.status !== 201) throw new RegistryError("http", `uploading a blob to ${repo}: HTTP ${done.status}`, done.status);
  return digest;
}

/**
 * Removes one tag and nothing else on a registry that can only delete by digest (Distribution 2.8), as
 * regctl does: the tag is pointed at a throwaway manifest of its own (a unique, empty image), which is then
 * deleted by digest. The image the tag pointed to, and every other tag on it, stay.
 */
async function deleteTagAlone(client: RegistryClient, repo: string, tag: string): Promise<{ ok: boolean; detail: string }> {
  try {
    const config = Buffer.from(JSON.stringify({ "registry-prune": "throwaway manifest that removes one tag", tag, nonce: randomBytes(16).toString("hex") }));
    const configDigest = await uploadBlob(client, repo, config);
    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: "application/vnd.oci.image.config.v1+json", size: config.length, digest: configDigest }, layers: [] }),
    );
    const put = client.checked(await client.send("PUT", `/v2/${repo}/manifests/${tag}`, { "Content-Type": OCI_MANIFEST }, manifest), `retagging ${repo}:${tag}`, repo);
    const digest = put.headers.get("docker-content-digest");
    if (put.status !== 201 || !digest) return { ok: false, detail: `pointing ${tag} at a throwaway manifest: HTTP ${put.status}` };
    // The digest to delete must be the one of the bytes sent: any other would delete an image.
    const sent = sha256Digest(manifest);
    if (digest !== sent) {
      throw new RegistryError("bad-answer", `retagging ${repo}:${tag}: the registry named the throwaway manifest ${digest.slice(0, 80)}, not ${sent} (the digest of the bytes sent); stopped, and that digest was not deleted`);
    }
    const removed = await deleteRef(client, repo, digest);
    return removed.ok ? { ok: true, detail: "tag removed (through a throwaway manifest)" } : removed;
  } catch (error) {
    if (error instanceof RegistryError && error.kind !== "http") throw error;
    return { ok: false, detail: (error as Error).message };
  }
}

/**
 * The tag's digest read again just before its delete: a tag pushed again since the plan was made now names
 * an image the plan never judged, so it is skipped. An untagged entry (a referrer) has nothing to re-read.
 */
async function movedSincePlan(client: RegistryClient, e: PlanEntry): Promise<{ ok: true; skipped: true; detail: string } | undefined> {
  if (!e.tag) return undefined;
  const now = await headManifest(client, e.repo, e.tag);
  if (!now || now.digest === e.digest) return undefined;
  return { ok: true, skipped: true, detail: `skipped: ${e.tag} moved to ${now.digest} since the plan` };
}

/**
 * Carries out exactly the deletions the plan lists: each `delete-manifest` digest once (a multi-platform
 * index as a whole, never child by child), each `delete-tag` tag alone (on 2.8 through a throwaway manifest). Failures are reported, not thrown,
 * so the rest of the plan still runs and a re-run finishes the job.
 */
export async function executePlan(client: RegistryClient, entries: PlanEntry[], concurrency: number, capability: Pick<Capability, "tagDelete"> = { tagDelete: true }): Promise<Outcome[]> {
  const byDigest = new Map<string, PlanEntry[]>();
  const tagOnly: PlanEntry[] = [];
  const refused: Outcome[] = [];
  // The last check: never delete a digest that a kept reference (a tag, an index's platform manifest) needs.
  const needed = new Map<string, Set<string>>();
  for (const e of entries) if (!needed.has(e.repo)) needed.set(e.repo, neededDigests(entries.filter((x) => x.repo === e.repo)));
  for (const e of entries) {
    if (e.action === "delete-manifest" && needed.get(e.repo)?.has(e.digest)) {
      refused.push({ entry: e, ok: false, detail: `refused: ${e.digest} is still needed by a kept reference` });
      continue;
    }
    if (e.action === "delete-manifest") byDigest.set(`${e.repo}@${e.digest}`, [...(byDigest.get(`${e.repo}@${e.digest}`) ?? []), e]);
    if (e.action === "delete-tag") tagOnly.push(e);
  }
  const removeTag = (e: PlanEntry) => (capability.tagDelete ? deleteRef(client, e.repo, e.tag) : deleteTagAlone(client, e.repo, e.tag));
  const tagOutcomes = await mapLimit(tagOnly, concurrency, async (e): Promise<Outcome> => {
    const moved = await movedSincePlan(client, e);
    return moved ? { entry: e, ...moved } : { entry: e, ...(await removeTag(e)) };
  });
  const groups = [...byDigest.values()];
  const digestOutcomes = capability.tagDelete
    ? await untagThenDelete(client, groups, concurrency)
    : await mapLimit(groups, concurrency, async (group) => {
        const moved = await movedInGroup(client, group, concurrency);
        return moved.length > 0 ? skippedGroup(group, moved) : deleteGroup(client, group);
      });
  return [...refused, ...tagOutcomes, ...digestOutcomes.flat()];
}

type Moved = { e: PlanEntry; moved: { ok: true; skipped: true; detail: string } };

async function movedInGroup(client: RegistryClient, group: PlanEntry[], concurrency: number): Promise<Moved[]> {
  const all = await mapLimit(group, concurrency, async (e) => ({ e, moved: await movedSincePlan(client, e) }));
  return all.filter((m): m is Moved => m.moved !== undefined);
}

function skippedGroup(group: PlanEntry[], moved: Moved[]): Outcome[] {
  const why = `skipped: ${moved.map((m) => m.e.tag).join(", ")} moved since the plan`;
  return group.map((entry) => ({ entry, ok: true, skipped: true, detail: moved.find((m) => m.e === entry)?.moved.detail ?? why }));
}

async function deleteGroup(client: RegistryClient, group: PlanEntry[]): Promise<Outcome[]> {
  const result = await deleteRef(client, group[0].repo, group[0].digest);
  return group.map((entry) => ({ entry, ...result }));
}

/**
 * Where tags can be deleted alone (3.x): every planned tag first, then every digest. A digest DELETE makes
 * Distribution read the link of each tag left in the repository to find the ones to remove, so with the
 * tags still there the deletes cost the square of the tag count; untagged first, each reads only the kept
 * tags. A digest whose own delete fails gets its tags back (restoreTags), so a re-run still finishes the job.
 */
/** The distinct tags of a digest's entries (a referrer's entry has none). */
const tagsOf = (group: PlanEntry[]) => [...new Set(group.map((e) => e.tag).filter((t): t is string => Boolean(t)))];

async function untagThenDelete(client: RegistryClient, groups: PlanEntry[][], concurrency: number): Promise<Outcome[][]> {
  const untagged = await mapLimit(groups, concurrency, async (group) => {
    // Checked right before its tags go: deleting a digest removes every tag on it, so if one of them moved, the plan no longer holds for it.
    const moved = await movedInGroup(client, group, concurrency);
    if (moved.length > 0) return { group, skipped: skippedGroup(group, moved) };
    const tags = tagsOf(group);
    const removed = await mapLimit(tags, concurrency, async (tag) => ({ tag, ...(await deleteRef(client, group[0].repo, tag)) }));
    return { group, tags, failed: removed.find((r) => !r.ok) };
  });
  return mapLimit(untagged, concurrency, async ({ group, tags, skipped, failed }): Promise<Outcome[]> => {
    if (skipped) return skipped;
    if (failed) return group.map((entry) => ({ entry, ok: false, detail: `removing tag ${failed.tag}: ${failed.detail}; ${group[0].digest} was not deleted` }));
    const outcomes = await deleteGroup(client, group);
    if (outcomes[0].ok || !tags || tags.length === 0) return outcomes;
    const restored = await restoreTags(client, group[0].repo, group[0].digest, tags);
    const detail = restored.ok
      ? `${outcomes[0].detail}; its tags were put back, so a re-run retries it`
      : `${outcomes[0].detail}; its tags could not be put back (${restored.detail}), so it stays untagged: delete ${group[0].repo}@${group[0].digest} again, or run garbage-collect with --delete-untagged`;
    return group.map((entry) => ({ entry, ok: false, detail }));
  });
}

/**
 * Points `tags` at `digest` again after its delete failed, with the manifest's own bytes (checked against
 * the digest), so the next run sees it and retries. A tag pushed again meanwhile is left as it is.
 */
async function restoreTags(client: RegistryClient, repo: string, digest: string, tags: string[]): Promise<{ ok: boolean; detail: string }> {
  try {
    const got = client.checked(await client.send("GET", `/v2/${repo}/manifests/${digest}`, { Accept: MANIFEST_ACCEPT }), `reading ${repo}@${digest}`, repo);
    if (got.status !== 200) return { ok: false, detail: `reading the manifest: HTTP ${got.status}` };
    const bytes = Buffer.from(got.body, "utf8");
    if (sha256Digest(bytes) !== digest) return { ok: false, detail: `the registry's manifest bytes do not match ${digest}` };
    for (const tag of tags) {
      if (await headManifest(client, repo, tag)) continue;
      const put = client.checked(await client.send("PUT", `/v2/${repo}/manifests/${tag}`, { "Content-Type": got.headers.get("content-type") ?? "" }, bytes), `retagging ${repo}:${tag}`, repo);
      if (put.status !== 201) return { ok: false, detail: `putting back ${tag}: HTTP ${put.status}` };
    }
    return { ok: true, detail: "tags put back" };
  } catch (error) {
    if (error instanceof RegistryError && error.kind !== "http") throw error;
    return { ok: false, detail: (error as Error).message };
  }
}
