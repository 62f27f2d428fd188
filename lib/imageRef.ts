/**
 * The one place that reads image references (`[host[:port]/]path[:tag][@sha256:digest]`): config, components
 * and the policy pack all ask here whether an image is pinned, floating, or the Distribution registry.
 */
import { IMAGE_REF } from "./patterns";

export interface ImageRef {
  /** Everything before the tag and digest: `[host[:port]/]path`. */
  repository: string;
  tag?: string;
  /** `sha256:<hex>` */
  digest?: string;
}

/** Splits a reference; a `:` inside the host part (a port) is not a tag. */
export function parse(image: string): ImageRef {
  const [name, digest] = image.split("@") as [string, string | undefined];
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  const hasTag = colon > slash;
  return { repository: hasTag ? name.slice(0, colon) : name, tag: hasTag ? name.slice(colon + 1) : undefined, digest };
}

/** A reference the image grammar accepts (`registry:2.8.3`, `repo/app@sha256:...`). */
export const isValid = (image: string) => IMAGE_REF.test(image);

/** Names exactly one image: a sha256 digest. */
export const isDigestPinned = (image: string) => /^sha256:[a-f0-9]{64}$/.test(parse(image).digest ?? "");

/** `:latest` or no tag and no digest: the image can change under the same name. */
export function isFloating(image: string): boolean {
  const ref = parse(image);
  return ref.digest === undefined && (ref.tag === undefined || ref.tag === "latest");
}

/** The CNCF Distribution registry, by its usual names. */
export const isDistributionImage = (image: string) => /(^|\/)(registry|distribution\/distribution)$/.test(parse(image).repository);

/** Major version of a Distribution image, from its tag (`2.8.3`, `v3.0.0`); 2 when the tag does not say. */
export function registryMajorVersion(image: string): number {
  const match = /^v?(\d+)(\.|-|$)/.exec(parse(image).tag ?? "");
  return match ? Number(match[1]) : 2;
}

/** Where the Distribution image keeps its config.yml: the registry:3 image moved it. */
export function registryConfigPath(image: string): string {
  return registryMajorVersion(image) >= 3 ? "/etc/distribution/config.yml" : "/etc/docker/registry/config.yml";
}
