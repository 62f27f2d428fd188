import { mapLimit, RegistryClient, RegistryError, registryJson } from "./http";
import { digestsNeedingCreated, ReferrersBySubject, TagFacts } from "./ordering";

/** Docker v2 manifest and manifest list, OCI manifest and index: asked for together so no image is missed. */
export const MANIFEST_ACCEPT = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
].join(", ");

const INDEX_TYPES = ["application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.oci.image.index.v1+json"];

/** Follows `Link: <...>; rel="next"` pagination. */
async function paged<T>(client: RegistryClient, first: string, what: string, pick: (body: any) => T[], repo?: string): Promise<T[]> {
  const items: T[] = [];
  let path: string | undefined = first;
  while (path) {
    const answer = client.checked(await client.send("GET", path), what, repo);
    if (answer.status !== 200) throw new RegistryError("http", `${what}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`, answer.status);
    items.push(...pick(registryJson(client.baseUrl, what, answer.body)));
    const next = /<([^>]+)>;\s*rel="next"/.exec(answer.headers.get("link") ?? "")?.[1];
    path = next ? new URL(next, client.baseUrl).pathname + new URL(next, client.baseUrl).search : undefined;
  }
  return items;
}

export function listRepositories(client: RegistryClient): Promise<string[]> {
  return paged(client, "/v2/_catalog?n=1000", "listing repositories", (b) => b.repositories ?? []);
}

export function listTags(client: RegistryClient, repo: string): Promise<string[]> {
  return paged(client, `/v2/${repo}/tags/list?n=1000`, `listing tags of ${repo}`, (b) => b.tags ?? [], repo);
}

/** The digest a tag points to, from `Docker-Content-Digest` on HEAD. */
export async function headManifest(client: RegistryClient, repo: string, ref: string): Promise<{ digest: string; mediaType: string } | undefined> {
  const answer = client.checked(await client.send("HEAD", `/v2/${repo}/manifests/${ref}`, { Accept: MANIFEST_ACCEPT }), `reading ${repo}:${ref}`, repo);
  if (answer.status === 404) return undefined;
  const digest = answer.headers.get("docker-content-digest");
  if (answer.status !== 200 || !digest) throw new RegistryError("http", `HEAD ${repo}:${ref}: HTTP ${answer.status} without a digest`, answer.status);
  return { digest, mediaType: answer.headers.get("content-type") ?? "" };
}

async function getJson(client: RegistryClient, repo: string, path: string, accept?: string): Promise<any> {
  const answer = client.checked(await client.send("GET", `/v2/${repo}/${path}`, accept ? { Accept: accept } : {}), `reading ${repo}/${path}`, repo);
  if (answer.status !== 200) throw new RegistryError("http", `GET ${repo}/${path}: HTTP ${answer.status}`, answer.status);
  return registryJson(client.baseUrl, `reading ${repo}/${path}`, answer.body);
}

/** The image's creation time: the OCI label or annotation when set, else the config's `created`. */
export async function createdOf(client: RegistryClient, repo: string, digest: string): Promise<Date | undefined> {
  const manifest = await getJson(client, repo, `manifests/${digest}`, MANIFEST_ACCEPT);
  const annotated = manifest.annotations?.["org.opencontainers.image.created"];
  if (annotated) return validDate(annotated);
  if (INDEX_TYPES.includes(manifest.mediaType) || Array.isArray(manifest.manifests)) {
    const first = manifest.manifests?.[0]?.digest;
    return first ? createdOf(client, repo, first) : undefined;
  }
  const configDigest = manifest.config?.digest;
  if (!configDigest) return undefined;
  const config = await getJson(client, repo, `blobs/${configDigest}`);
  return validDate(config.config?.Labels?.["org.opencontainers.image.created"] ?? config.created);
}

function validDate(text: unknown): Date | undefined {
  const date = typeof text === "string" ? new Date(text) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

/** The platform manifests an index lists. */
async function childrenOf(client: RegistryClient, repo: string, digest: string): Promise<string[]> {
  const index = await getJson(client, repo, `manifests/${digest}`, MANIFEST_ACCEPT);
  return (index.manifests ?? []).map((m: { digest: string }) => m.digest);
}

/** The referrers of one digest from the OCI 1.1 referrers API; undefined when the registry does not serve it. */
async function referrersVia(client: RegistryClient, repo: string, digest: string): Promise<string[] | undefined> {
  const what = `listing the referrers of ${repo}@${digest}`;
  const answer = client.checked(await client.send("GET", `/v2/${repo}/referrers/${digest}`, { Accept: "application/vnd.oci.image.index.v1+json" }), what, repo);
  // A registry that serves the API never answers it 404 (distribution-spec 1.1): a 404 means no API.
  if (answer.status === 404) return undefined;
  if (answer.status !== 200) throw new RegistryError("http", `${what}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`, answer.status);
  const index = registryJson(client.baseUrl, what, answer.body);
  return (index.manifests ?? []).map((m: { digest: string }) => m.digest);
}

/**
 * The referrers of every digest in `subjects`, and of theirs in turn (a signature on an SBOM), where the
 * registry serves the referrers API. One GET tells: a registry without it (Distribution 2.8, 3.1) answers
 * 404, and then nothing more is asked.
 */
export async function referrersOf(client: RegistryClient, repo: string, subjects: string[], concurrency: number): Promise<ReferrersBySubject> {
  const found: ReferrersBySubject = new Map();
  const [first, ...rest] = [...new Set(subjects)];
  const firstReferrers = first === undefined ? undefined : await referrersVia(client, repo, first);
  if (firstReferrers === undefined) return found;
  const asked = new Set(subjects);
  const ask = (digests: string[]) => mapLimit(digests, concurrency, async (d) => [d, (await referrersVia(client, repo, d)) ?? []] as const);
  let answers = [[first, firstReferrers] as const, ...(await ask(rest))];
  while (answers.length > 0) {
    for (const [subject, refs] of answers) if (refs.length > 0) found.set(subject, refs);
    const next = [...new Set(answers.flatMap(([, refs]) => refs))].filter((d) => !asked.has(d));
    next.forEach((d) => asked.add(d));
    answers = await ask(next);
  }
  return found;
}

/** What the plan needs of one repository. */
export interface RepositoryFacts {
  tags: TagFacts[];
  referrers: ReferrersBySubject;
}

/**
 * Every tag of a repository with its digest, the platform manifests of each index (a kept index needs
 * them), the referrers of each digest where the registry lists them, and the created time where the
 * ordering needs it.
 */
export async function inventory(client: RegistryClient, repo: string, concurrency: number): Promise<RepositoryFacts> {
  const tags = await listTags(client, repo);
  const heads = await mapLimit(tags, concurrency, async (tag) => ({ tag, head: await headManifest(client, repo, tag) }));
  const found = heads.flatMap(({ tag, head }) => (head ? [{ tag, ...head }] : []));
  const indexes = [...new Set(found.filter((f) => INDEX_TYPES.includes(f.mediaType)).map((f) => f.digest))];
  const children = new Map(await mapLimit(indexes, concurrency, async (d) => [d, await childrenOf(client, repo, d)] as const));
  const facts: TagFacts[] = found.map(({ tag, digest }) => ({ tag, digest, ...(children.has(digest) ? { children: children.get(digest) } : {}) }));
  const referrers = await referrersOf(client, repo, facts.map((f) => f.digest), concurrency);
  const digests = digestsNeedingCreated(facts);
  const created = new Map(await mapLimit(digests, concurrency, async (d) => [d, await createdOf(client, repo, d)] as const));
  return { tags: facts.map((f) => ({ ...f, created: created.get(f.digest) })), referrers };
}
