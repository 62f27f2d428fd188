/**
 * The grammars of what a registry names (repositories, tags, digests), checked on every name it sends
 * before the name goes into a URL: a hostile or broken registry cannot make the CLI ask for another path.
 */
import { DOCKER_TAG } from "../lib/patterns";
import { RegistryError } from "./http";

/** Distribution's repository name grammar: lower-case path components joined by '/'. */
const REPOSITORY_NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const REPOSITORY_NAME_MAX = 255;
/** `algorithm:hex`, for the algorithms Distribution computes. */
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export const isRepositoryName = (value: string) => value.length <= REPOSITORY_NAME_MAX && REPOSITORY_NAME.test(value);

const refuse = (what: string, kind: string, value: unknown) =>
  new RegistryError("bad-answer", `${what}: the registry sent ${JSON.stringify(value)?.slice(0, 80)}, which is not ${kind}; nothing was deleted`);

export function checkedRepository(value: unknown, what: string): string {
  if (typeof value !== "string" || !isRepositoryName(value)) throw refuse(what, "a repository name", value);
  return value;
}

export function checkedTag(value: unknown, what: string): string {
  if (typeof value !== "string" || !DOCKER_TAG.test(value)) throw refuse(what, "a tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})", value);
  return value;
}

export function checkedDigest(value: unknown, what: string): string {
  if (typeof value !== "string" || !DIGEST.test(value)) throw refuse(what, "a digest (sha256:<64 hex>)", value);
  return value;
}

/** A list field of a registry answer: absent or null is empty; anything but an array is refused. */
export function listField(body: unknown, field: string, what: string): unknown[] {
  const value = typeof body === "object" && body !== null ? (body as Record<string, unknown>)[field] : undefined;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw refuse(what, `a list in "${field}"`, value);
  return value;
}
