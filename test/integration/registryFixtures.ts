/**
 * Pushes small images straight through the Registry HTTP API (no Docker needed): Docker v2 or OCI
 * manifests with a config that carries a created time, OCI indexes, and extra tags on an existing digest.
 * Used by the prune tests and the prune benchmark to build registries of known content quickly.
 */
import { createHash } from "crypto";
import { gzipSync } from "zlib";
import { MEDIA_TYPES } from "../../prune/mediaTypes";

export const MEDIA = {
  dockerManifest: MEDIA_TYPES.dockerManifest,
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  ociManifest: MEDIA_TYPES.ociManifest,
  ociIndex: MEDIA_TYPES.ociIndex,
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

const sha256 = (data: Buffer | string) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

export interface ImageSpec {
  /** Makes the image unique (it goes into the config). */
  seed: string;
  created: Date;
  format?: "docker" | "oci";
  platform?: { os: string; architecture: string };
}

export class FixtureWriter {
  private readonly layer = gzipSync(Buffer.from("fixture layer\n"));
  private readonly layerDiffId = sha256(Buffer.from("fixture layer\n"));
  private readonly uploaded = new Set<string>();

  constructor(private readonly baseUrl: string, private readonly headers: Record<string, string> = {}) {}

  private async call(method: string, path: string, init: { body?: Buffer | string; headers?: Record<string, string> } = {}): Promise<Response> {
    const url = path.startsWith("http") ? path : `${this.baseUrl}${path}`;
    const response = await fetch(url, { method, body: init.body, headers: { ...this.headers, ...(init.headers ?? {}) } });
    if (response.status >= 400) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
    return response;
  }

  /** Monolithic upload (POST then PUT), skipped when the repository already has the blob. */
  async blob(repo: string, data: Buffer): Promise<string> {
    const digest = sha256(data);
    if (this.uploaded.has(`${repo}@${digest}`)) return digest;
    const start = await this.call("POST", `/v2/${repo}/blobs/uploads/`);
    const location = new URL(start.headers.get("location") ?? "", this.baseUrl);
    location.searchParams.set("digest", digest);
    await this.call("PUT", location.toString(), { body: data, headers: { "Content-Type": "application/octet-stream" } });
    this.uploaded.add(`${repo}@${digest}`);
    return digest;
  }

  async putManifest(repo: string, ref: string, manifest: object, mediaType: string): Promise<string> {
    const body = JSON.stringify(manifest);
    const response = await this.call("PUT", `/v2/${repo}/manifests/${ref}`, { body, headers: { "Content-Type": mediaType } });
    return response.headers.get("docker-content-digest") ?? sha256(body);
  }

  /** Pushes one single-platform image; tagged when `tag` is given, else by digest only. */
  async image(repo: string, tag: string | undefined, spec: ImageSpec): Promise<{ digest: string; size: number; mediaType: string }> {
    const oci = spec.format === "oci";
    const created = spec.created.toISOString();
    const config = Buffer.from(
      JSON.stringify({
        architecture: spec.platform?.architecture ?? "amd64",
        os: spec.platform?.os ?? "linux",
        created,
        config: { Labels: { "org.opencontainers.image.created": created, "fixture.seed": spec.seed } },
        rootfs: { type: "layers", diff_ids: [this.layerDiffId] },
      }),
    );
    const [configDigest, layerDigest] = [await this.blob(repo, config), await this.blob(repo, this.layer)];
    const mediaType = oci ? MEDIA.ociManifest : MEDIA.dockerManifest;
    const manifest = {
      schemaVersion: 2,
      mediaType,
      config: { mediaType: oci ? MEDIA.ociConfig : MEDIA.dockerConfig, size: config.length, digest: configDigest },
      layers: [{ mediaType: oci ? MEDIA.ociLayer : MEDIA.dockerLayer, size: this.layer.length, digest: layerDigest }],
    };
    const body = JSON.stringify(manifest);
    const digest = await this.putManifest(repo, tag ?? sha256(body), manifest, mediaType);
    return { digest, size: Buffer.byteLength(body), mediaType };
  }

  /** A multi-platform OCI index over one image per platform; returns the index and child digests. */
  async index(repo: string, tag: string, seed: string, created: Date): Promise<{ digest: string; children: string[]; size: number; mediaType: string }> {
    const platforms = [
      { os: "linux", architecture: "amd64" },
      { os: "linux", architecture: "arm64" },
    ];
    const children = [];
    for (const platform of platforms) {
      children.push({ ...(await this.image(repo, undefined, { seed: `${seed}-${platform.architecture}`, created, format: "oci", platform })), platform });
    }
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: children.map((c) => ({ mediaType: c.mediaType, size: c.size, digest: c.digest, platform: c.platform })),
      annotations: { "org.opencontainers.image.created": created.toISOString() },
    };
    const digest = await this.putManifest(repo, tag, index, MEDIA.ociIndex);
    return { digest, children: children.map((c) => c.digest), size: Buffer.byteLength(JSON.stringify(index)), mediaType: MEDIA.ociIndex };
  }

  /**
   * An SBOM artifact whose OCI `subject` is `subject` (pushed by digest, as oras and cosign's OCI 1.1 mode
   * do), and, for registries without the referrers API, the fallback tag `sha256-<hex>`: an index listing
   * the subject's referrers. Returns the artifact's digest.
   */
  async referrer(repo: string, subject: { digest: string; mediaType: string; size: number }, seed: string, withFallbackTag = true): Promise<string> {
    const empty = Buffer.from("{}");
    const sbom = Buffer.from(JSON.stringify({ spdxVersion: "SPDX-2.3", name: seed }));
    const artifactType = "application/spdx+json";
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      artifactType,
      config: { mediaType: "application/vnd.oci.empty.v1+json", size: empty.length, digest: await this.blob(repo, empty) },
      layers: [{ mediaType: artifactType, size: sbom.length, digest: await this.blob(repo, sbom) }],
      subject,
    };
    const body = JSON.stringify(manifest);
    const digest = await this.putManifest(repo, sha256(body), manifest, MEDIA.ociManifest);
    if (withFallbackTag) {
      const list = { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [{ mediaType: MEDIA.ociManifest, artifactType, size: Buffer.byteLength(body), digest }] };
      await this.putManifest(repo, subject.digest.replace(":", "-"), list, MEDIA.ociIndex);
    }
    return digest;
  }

  /** Points another tag at an existing manifest (same bytes, so the same digest). */
  async retag(repo: string, fromRef: string, tag: string): Promise<string> {
    const accept = Object.values(MEDIA).filter((m) => m.includes("manifest") || m.includes("index")).join(", ");
    const response = await this.call("GET", `/v2/${repo}/manifests/${fromRef}`, { headers: { Accept: accept } });
    const mediaType = response.headers.get("content-type") ?? MEDIA.dockerManifest;
    const body = Buffer.from(await response.arrayBuffer());
    await this.call("PUT", `/v2/${repo}/manifests/${tag}`, { body, headers: { "Content-Type": mediaType } });
    return sha256(body);
  }
}

/** Lists a repository's tags straight from the registry, sorted; [] when it has none. */
export async function tagsOf(baseUrl: string, repo: string, headers: Record<string, string> = {}): Promise<string[]> {
  const response = await fetch(`${baseUrl}/v2/${repo}/tags/list?n=1000`, { headers });
  if (response.status === 404) return [];
  const body = (await response.json()) as { tags?: string[] | null };
  return [...(body.tags ?? [])].sort();
}
