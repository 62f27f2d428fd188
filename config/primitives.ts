/** Zod types the schemas share: names, quantities, resources, addresses. */
import { z } from "zod";
import { parse as parseImage } from "../lib/imageRef";
import { DNS_LABEL, DOCKER_TAG, HOST_PORT, IMAGE_REF, LABEL_VALUE_CHARS } from "../lib/patterns";
import { BYTES_ALLOWED, CPU_ALLOWED, parseBytes, parseMillicores } from "../lib/quantity";

/** A TCP port: an app's, its probes', its Service's, an SSH host's. */
export const portNumber = z.number({ error: "must be a port number" }).int().min(1, { error: "must be a port in 1-65535" }).max(65535, { error: "must be a port in 1-65535" });

/** A DNS label (RFC 1123): namespaces, app and Kubernetes object names. */
export const dnsLabel = z.string().regex(DNS_LABEL, { error: "must be a DNS label: lower-case letters, digits and '-', at most 63" });

/** An image reference; a `:` must be followed by a tag (`registry:` and `repo:@sha256:...` are refused). */
export const imageReference = (example: string) =>
  z
    .string()
    .regex(IMAGE_REF, { error: `must be an image reference such as ${example}` })
    .refine((v) => {
      const tag = parseImage(v).tag;
      return tag === undefined || DOCKER_TAG.test(tag);
    }, { error: `has an empty or invalid tag after ':'; write it as ${example}` });

/** Namespaces Kubernetes runs itself: the program never creates, labels or deletes them. */
export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;

export const namespaceName = dnsLabel.refine((v) => !(SYSTEM_NAMESPACES as readonly string[]).includes(v), {
  error: `must not be a namespace Kubernetes runs itself (${SYSTEM_NAMESPACES.join(", ")})`,
});

/** A Kubernetes label value: at most 63 of [A-Za-z0-9_.-], starting and ending alphanumeric. */
export const labelValue = (what: string) =>
  z
    .string()
    .max(63, { error: `must fit a Kubernetes label value (at most 63 characters), as the ${what} label carries it` })
    .regex(LABEL_VALUE_CHARS, {
      error: `must fit a Kubernetes label value ([A-Za-z0-9_.-], starting and ending alphanumeric; no '+'), as the ${what} label carries it`,
    });

/** A Kubernetes memory or storage quantity (`128Mi`, `20Gi`), above zero. */
export const bytes = z
  .string()
  .refine((v) => parseBytes(v) !== undefined, { error: `must be ${BYTES_ALLOWED}` })
  .refine((v) => (parseBytes(v) ?? 1) > 0, { error: "must be above zero" });
/** A Kubernetes CPU quantity (`100m`, `1`), above zero. */
export const cpu = z
  .string()
  .refine((v) => parseMillicores(v) !== undefined, { error: `must be ${CPU_ALLOWED}` })
  .refine((v) => (parseMillicores(v) ?? 1) > 0, { error: "must be above zero" });

/**
 * Free text that reaches a web page, a header or a shell (the UI title, the auth realm): printable,
 * at most 100 characters, and none of the characters that would need escaping there.
 */
export const plainText = (what: string) =>
  z
    .string()
    .trim()
    .min(1, { error: `must be a non-empty ${what}` })
    .max(100, { error: `must be at most 100 characters` })
    .regex(/^[^\x00-\x1f\x7f-\x9f<>"'`$\\]*$/, { error: "must be printable text without any of < > \" ' ` $ \\" });

/** An HTTP path as a URL carries it: `/`, then RFC 3986 path characters and %-escapes, an optional query. */
export const urlPath = z
  .string()
  .regex(/^\/([A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*(\?([A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?$/, {
    error: "must be a URL path starting with '/', such as /health (spaces and other characters %-escaped)",
  });

/**
 * An S3 bucket name by S3's rules: 3-63 of lower-case letters, digits, '.' and '-', starting and ending with
 * a letter or digit, no '..' (nor '.-' or '-.'), not an IP address, none of the reserved prefixes and suffixes.
 */
export const s3BucketName = z
  .string({ error: "is required with s3 storage: the bucket that holds the blobs" })
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "must be an S3 bucket name (3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit)" })
  .refine((v) => !/\.\.|\.-|-\./.test(v), { error: "must not have '..', '.-' or '-.' (S3 bucket naming rules)" })
  .refine((v) => !/^\d+\.\d+\.\d+\.\d+$/.test(v), { error: "must not look like an IP address (S3 bucket naming rules)" })
  .refine((v) => !/^(xn--|sthree-|amzn-s3-demo-)/.test(v) && !/(-s3alias|--ol-s3|--x-s3|--table-s3|\.mrap)$/.test(v), {
    error: "must not use a prefix or suffix S3 reserves (xn--, sthree-, -s3alias, --ol-s3, ...)",
  });
export const nonEmpty = (what: string) => z.string().trim().min(1, { error: `must be a non-empty ${what}` });
/** `host[:port]` as Docker names a registry, with the port in range. */
export const hostPort = z
  .string()
  .regex(HOST_PORT, { error: "must be host[:port] without a scheme, such as localhost:32000" })
  .refine((v) => !v.includes(":") || (Number(v.split(":")[1]) >= 1 && Number(v.split(":")[1]) <= 65535), { error: "must have a port in 1-65535" });

export interface ResourceDefaults {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** Requests and limits; a request above its limit is refused by the API server, so it is refused here first. */
export function resourcesSchema(defaults: ResourceDefaults) {
  const pair = (d: { cpu: string; memory: string }) =>
    z.strictObject({ cpu: cpu.default(d.cpu), memory: bytes.default(d.memory) }).prefault({});
  return z
    .strictObject({ requests: pair(defaults.requests), limits: pair(defaults.limits) })
    .prefault({})
    .superRefine((r, ctx) => {
      const [memRequest, memLimit] = [parseBytes(r.requests.memory), parseBytes(r.limits.memory)];
      const [cpuRequest, cpuLimit] = [parseMillicores(r.requests.cpu), parseMillicores(r.limits.cpu)];
      if (memRequest !== undefined && memLimit !== undefined && memRequest > memLimit) {
        ctx.addIssue({ code: "custom", path: ["requests", "memory"], input: r.requests.memory, message: `must not exceed limits.memory (${r.limits.memory})` });
      }
      if (cpuRequest !== undefined && cpuLimit !== undefined && cpuRequest > cpuLimit) {
        ctx.addIssue({ code: "custom", path: ["requests", "cpu"], input: r.requests.cpu, message: `must not exceed limits.cpu (${r.limits.cpu})` });
      }
    });
}

/** Requests and limits as validated config. */
export type ResourceSettings = z.infer<ReturnType<typeof resourcesSchema>>;

/** A Docker build's platform, such as linux/amd64. */
export const buildPlatform = z.string().regex(/^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/, { error: "must be a platform such as linux/amd64" });
/** A Docker build's network: `host` where the daemon has no default bridge (`dockerd --bridge=none`, locked-down CI). */
export const buildNetwork = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: "must be a Docker network name such as host, default or none" });
