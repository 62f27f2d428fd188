/**
 * A fake Docker Registry v2 on 127.0.0.1 that answers like a real one (catalog, tags, HEAD and GET of
 * manifests, no referrers API, deletes as 2.8 or 3.x) until a test swaps in a hostile answer for one
 * request. It records every request, so a test can show that nothing left the repository or was deleted.
 */
import { createHash } from "crypto";
import * as http from "http";
import { listenOnLoopback } from "./docker";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

export interface Seen {
  method: string;
  url: string;
}

/** Answer the request here (return true), or let the fake registry answer it (return false). */
export type Override = (req: http.IncomingMessage, res: http.ServerResponse, attempt: number) => boolean;

/** A manifest whose digest is what the fake serves for `seed`. */
function manifestFor(seed: string): { body: string; digest: string } {
  const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: "application/vnd.oci.image.config.v1+json", size: 2, digest: `sha256:${"0".repeat(64)}` }, layers: [], annotations: { seed } });
  return { body, digest: `sha256:${createHash("sha256").update(body).digest("hex")}` };
}

export class HostileRegistry {
  readonly seen: Seen[] = [];
  override: Override = () => false;
  private constructor(private readonly server: http.Server, readonly url: string) {}

  /**
   * `repos` maps each repository to its tags and the seed of each tag's manifest (tags with one seed share
   * a digest). `version` picks the delete behaviour: 2.8 deletes only by digest, 3.x by tag too.
   */
  static async start(repos: Record<string, Record<string, string>>, version: "2.8" | "3.x" = "3.x"): Promise<HostileRegistry> {
    const attempts = new Map<string, number>();
    let registry: HostileRegistry | undefined;
    const server = http.createServer((req, res) => {
      const url = req.url ?? "";
      registry?.seen.push({ method: req.method ?? "", url });
      const key = `${req.method} ${url}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      if (registry?.override(req, res, attempt)) return;
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => answer(repos, version, req, Buffer.concat(chunks), res));
    });
    registry = new HostileRegistry(server, await listenOnLoopback(server));
    return registry;
  }

  /** The digest the fake serves for `seed`. */
  static digestOf(seed: string): string {
    return manifestFor(seed).digest;
  }

  /** Requests other than GET and HEAD (the capability probe's DELETE of a made-up tag left out). */
  writes(): Seen[] {
    return this.seen.filter((s) => !["GET", "HEAD"].includes(s.method) && !/registry-prune-probe-/.test(s.url));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void =>
  void res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));

function answer(repos: Record<string, Record<string, string>>, version: string, req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://fake");
  if (url.pathname === "/v2/") return json(res, 200, {});
  if (url.pathname === "/v2/_catalog") return json(res, 200, { repositories: Object.keys(repos) });
  const m = /^\/v2\/(.+)\/(tags\/list|manifests\/([^/]+)|referrers\/.+|blobs\/uploads\/.*)$/.exec(url.pathname);
  const tags = m ? repos[m[1]] : undefined;
  if (!m || !tags) return json(res, 404, { errors: [{ code: "NAME_UNKNOWN" }] });
  if (m[2] === "tags/list") return json(res, 200, { name: m[1], tags: Object.keys(tags) });
  if (m[2].startsWith("referrers/")) return json(res, 404, { errors: [{ code: "UNSUPPORTED" }] });
  if (m[2].startsWith("blobs/uploads/")) {
    if (req.method === "POST") return void res.writeHead(202, { location: `/v2/${m[1]}/blobs/uploads/u1` }).end();
    return void res.writeHead(201).end();
  }
  const ref = m[3];
  if (req.method === "DELETE") {
    if (ref.startsWith("sha256:")) return void res.writeHead(202).end();
    return version === "2.8" ? json(res, 400, { errors: [{ code: "DIGEST_INVALID" }] }) : json(res, 404, { errors: [{ code: "MANIFEST_UNKNOWN" }] });
  }
  if (req.method === "PUT") return void res.writeHead(201, { "docker-content-digest": `sha256:${createHash("sha256").update(body).digest("hex")}` }).end();
  const seed = ref.startsWith("sha256:") ? Object.values(tags).find((s) => manifestFor(s).digest === ref) : tags[ref];
  if (seed === undefined) return json(res, 404, { errors: [{ code: "MANIFEST_UNKNOWN" }] });
  const manifest = manifestFor(seed);
  res.writeHead(200, { "content-type": OCI_MANIFEST, "docker-content-digest": manifest.digest }).end(req.method === "HEAD" ? undefined : manifest.body);
}
