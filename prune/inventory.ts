import { mapLimit, RegistryClient, RegistryError, registryJson } from "./http";
import { checkedDigest, checkedRepository, checkedTag, listField } from "./names";
import { INDEX_TYPES, MANIFEST_ACCEPT, MEDIA_TYPES } from "./mediaTypes";
import { digestsNeedingCreated, ReferrersBySubject, TagFacts } from "./ordering";


/** Pages of one listing at most: 10 million names at the page size asked for. */
const MAX_PAGES = 10_000;

/**
 * The next page of a listing, from `Link: <...>; rel="next"`: on the same registry and the same endpoint
 * (another path would be a request outside what is being pruned), and never a page already visited.
 */
function nextPage(client: RegistryClient, first: string, link: string | null, visited: Set<string>, what: string): string | undefined {
  const next = /<([^>]+)>;\s*rel="next"/.exec(link ?? "")?.[1];
  if (!next) return undefined;
  const url = new URL(next, client.baseUrl);
  const path = url.pathname + url.search;
  if (!client.isOwnOrigin(url) || url.pathname !== new URL(first, client.baseUrl).pathname) {
    throw new RegistryError("bad-answer", `${what}: the registry's next page ${JSON.stringify(next.slice(0, 80))} leaves ${new URL(first, client.baseUrl).pathname}; nothing was deleted`);
  }
  if (visited.has(path)) throw new RegistryError("bad-answer", `${what}: the registry's pagination came back to ${path}; nothing was deleted`);
  if (visited.size >= MAX_PAGES) throw new RegistryError("bad-answer", `${what}: the registry's pagination went on past ${MAX_PAGES} pages; nothing was deleted`);
  return path;
}

/** Follows the listing's pages, each visited once; a page that repeats a name, or an empty page that is not the last, is a loop. */
async function paged(client: RegistryClient, first: string, what: string, pick: (body: unknown) => string[], repo?: string): Promise<string[]> {
  const items = new Set<string>();
  const visited = new Set<string>();
  let path: string | undefined = first;
  while (path) {
    visited.add(path);
    const answer = client.checked(await client.send("GET", path), what, repo);
    if (answer.status !== 200) throw new RegistryError("http", `${what}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`, answer.status);
    const page = pick(registryJson(client.baseUrl, what, answer.body));
    for (const item of page) {
      if (items.has(item)) throw new RegistryError("bad-answer", `${what}: the registry listed ${item} twice (a pagination loop); nothing was deleted`);
      items.add(item);
    }
    path = nextPage(client, first, answer.headers.get("link"), visited, what);
    if (path && page.length === 0) throw new RegistryError("bad-answer", `${what}: the registry sent an empty page with a next page (a pagination loop); nothing was deleted`);
  }
  return [...items];
}

export function listRepositories(client: RegistryClient): Promise<string[]> {
  const what = "listing repositories";
  return paged(client, "/v2/_catalog?n=1000", what, (b) => listField(b, "repositories", what).map((r) => checkedRepository(r, what)));
}

export function listTags(client: RegistryClient, repo: string): Promise<string[]> {
  const what = `listing tags of ${repo}`;
  return paged(client, `/v2/${repo}/tags/list?n=1000`, what, (b) => listField(b, "tags", what).map((t) => checkedTag(t, what)), repo);
}

/** The digest a tag points to, from `Docker-Content-Digest` on HEAD. */
export async function headManifest(client: RegistryClient, repo: string, ref: string): Promise<{ digest: string; mediaType: string } | undefined> {
  const answer = client.checked(await client.send("HEAD", `/v2/${repo}/manifests/${ref}`, { Accept: MANIFEST_ACCEPT }), `reading ${repo}:${ref}`, repo);
  if (answer.status === 404) return undefined;
  const digest = answer.headers.get("docker-content-digest");
  if (answer.status !== 200 || !digest) throw new RegistryError("http", `HEAD ${repo}:${ref}: HTTP ${answer.status} without a digest`, answer.status);
  return { digest: checkedDigest(digest, `reading ${repo}:${ref}`), mediaType: answer.headers.get("content-type") ?? "" };
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
    return first ? createdOf(client, repo, checkedDigest(first, `reading ${repo}@${digest}`)) : undefined;
  }
  const configDigest = manifest.config?.digest;
  if (!configDigest) return undefined;
  const config = await getJson(client, repo, `blobs/${checkedDigest(configDigest, `reading ${repo}@${digest}`)}`);
  return validDate(config.config?.Labels?.["org.opencontainers.image.created"] ?? config.created);
}

function validDate(text: unknown): Date | undefined {
  const date = typeof text === "string" ? new Date(text) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

/** The digests an index lists in `manifests` (its platform manifests, or a referrers list), each checked. */
const manifestDigests = (index: unknown, what: string) => listField(index, "manifests", what).map((m) => checkedDigest((m as { digest?: unknown })?.digest, what));

/** The platform manifests an index lists. */
async function childrenOf(client: RegistryClient, repo: string, digest: string): Promise<string[]> {
  return manifestDigests(await getJson(client, repo, `manifests/${digest}`, MANIFEST_ACCEPT), `reading ${repo}@${digest}`);
}

/** The referrers of one digest from the OCI 1.1 referrers API; undefined when the registry does not serve it. */
async function referrersVia(client: RegistryClient, repo: string, digest: string): Promise<string[] | undefined> {
  const what = `listing the referrers of ${repo}@${digest}`;
  const answer = client.checked(await client.send("GET", `/v2/${repo}/referrers/${digest}`, { Accept: MEDIA_TYPES.ociIndex }), what, repo);
  // A registry that serves the API never answers it 404 (distribution-spec 1.1): a 404 means no API.
  if (answer.status === 404) return undefined;
  if (answer.status !== 200) throw new RegistryError("http", `${what}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`, answer.status);
  return manifestDigests(registryJson(client.baseUrl, what, answer.body), what);
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
