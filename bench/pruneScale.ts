/**
 * The scale case of `npm run bench:prune`: REPOS x TAGS single-platform images (200 x 500, 100,000 tags by
 * default), each tag on a manifest of its own. Pushing 100,000 images through the API would take longer than
 * pruning them, so the storage is written as Distribution's filesystem driver lays it out (blobs, then each
 * repository's layer, revision and tag links), and a registry started on it serves it as if pushed.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

export interface ScaleFixture {
  repos: string[];
  tagsPerRepo: number;
  /** The tag order the registry-prune plan must keep: the newest `keep` of each repository. */
  newest: (keep: number) => string[];
}

/** `1.<i / 50>.<i % 50>`: semver tags, the newest last. */
export const scaleTag = (i: number) => `1.${Math.floor(i / 50)}.${i % 50}`;

/** Writes the storage under `root` (the registry's /var/lib/registry). */
export function writeScaleStorage(root: string, repoCount: number, tagsPerRepo: number): ScaleFixture {
  const v2 = path.join(root, "docker", "registry", "v2");
  const write = (file: string, data: Buffer | string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, data);
  };
  const blob = (data: Buffer | string) => {
    const hex = sha256(data);
    write(path.join(v2, "blobs", "sha256", hex.slice(0, 2), hex, "data"), data);
    return hex;
  };
  const link = (file: string, hex: string) => write(file, `sha256:${hex}`);
  const layer = Buffer.from("scale fixture layer\n");
  const layerHex = blob(layer);
  const repos = Array.from({ length: repoCount }, (_, r) => `scale/app-${String(r).padStart(3, "0")}`);
  for (const repo of repos) {
    const repoDir = path.join(v2, "repositories", repo);
    link(path.join(repoDir, "_layers", "sha256", layerHex, "link"), layerHex);
    for (let i = 0; i < tagsPerRepo; i++) {
      const tag = scaleTag(i);
      const config = JSON.stringify({ architecture: "amd64", os: "linux", created: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(), config: { Labels: { "fixture.seed": `${repo}:${tag}` } }, rootfs: { type: "layers", diff_ids: [`sha256:${sha256(layer)}`] } });
      const configHex = blob(config);
      link(path.join(repoDir, "_layers", "sha256", configHex, "link"), configHex);
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", size: Buffer.byteLength(config), digest: `sha256:${configHex}` },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", size: layer.length, digest: `sha256:${layerHex}` }],
      });
      const manifestHex = blob(manifest);
      link(path.join(repoDir, "_manifests", "revisions", "sha256", manifestHex, "link"), manifestHex);
      link(path.join(repoDir, "_manifests", "tags", tag, "current", "link"), manifestHex);
      link(path.join(repoDir, "_manifests", "tags", tag, "index", "sha256", manifestHex, "link"), manifestHex);
    }
  }
  return {
    repos,
    tagsPerRepo,
    newest: (keep) => Array.from({ length: keep }, (_, k) => scaleTag(tagsPerRepo - keep + k)),
  };
}
