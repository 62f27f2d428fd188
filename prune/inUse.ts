/**
 * Which of this registry's images the cluster uses: every image reference held by Pods (and the digests
 * their containers actually run), ReplicaSets (a Deployment's old ones, which `kubectl rollout undo`
 * needs), Deployments, StatefulSets, DaemonSets, Jobs and CronJobs. Pure: the objects come in, as the
 * Kubernetes API lists them.
 */
import type { TagFacts } from "./ordering";

export type WorkloadKind = "Pod" | "ReplicaSet" | "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "CronJob";

/** The fields read here, as every list call returns them. */
export interface WorkloadObject {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string>; ownerReferences?: { kind?: string; name?: string }[] };
  spec?: any;
  status?: { containerStatuses?: { imageID?: string }[]; initContainerStatuses?: { imageID?: string }[] };
}

/** One use of an image: what refers to it, in the words the plan prints. */
export interface ImageUse {
  repo: string;
  tag?: string;
  digest?: string;
  /** `production/deployment/web (ReplicaSet web-7d9f…, revision 3)`. */
  user: string;
}

const POD_SPEC: Record<WorkloadKind, (spec: any) => any> = {
  Pod: (spec) => spec,
  ReplicaSet: (spec) => spec?.template?.spec,
  Deployment: (spec) => spec?.template?.spec,
  StatefulSet: (spec) => spec?.template?.spec,
  DaemonSet: (spec) => spec?.template?.spec,
  Job: (spec) => spec?.template?.spec,
  CronJob: (spec) => spec?.jobTemplate?.spec?.template?.spec,
};

/** `host[:port]/repo[:tag][@sha256:…]`, with a container runtime's `docker-pullable://` prefix allowed. */
export function parseReference(reference: string): { host: string; repo: string; tag?: string; digest?: string } | undefined {
  const match = /^(?:[a-z-]+:\/\/)?([^/]+)\/([a-z0-9._\-/]+?)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/.exec(reference);
  if (!match) return undefined;
  return { host: match[1].toLowerCase(), repo: match[2], tag: match[3], digest: match[4] };
}

/** Who uses an object's images: a Deployment's ReplicaSet speaks for the Deployment, with its revision. */
function userOf(kind: WorkloadKind, object: WorkloadObject): string {
  const namespace = object.metadata?.namespace ?? "";
  const name = object.metadata?.name ?? "";
  const owner = object.metadata?.ownerReferences?.find((o) => o.kind === "Deployment")?.name;
  if (kind === "ReplicaSet" && owner) {
    const revision = object.metadata?.annotations?.["deployment.kubernetes.io/revision"];
    return `${namespace}/deployment/${owner} (ReplicaSet ${name}${revision ? `, revision ${revision}` : ""})`;
  }
  return `${namespace}/${kind.toLowerCase()}/${name}`;
}

/** Every image reference of one object: its containers' and init containers' images, and a Pod's running digests. */
function referencesOf(kind: WorkloadKind, object: WorkloadObject): string[] {
  const pod = POD_SPEC[kind](object.spec) ?? {};
  const declared = [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])].map((c: { image?: string }) => c.image ?? "");
  const running = [...(object.status?.initContainerStatuses ?? []), ...(object.status?.containerStatuses ?? [])].map((s) => s.imageID ?? "");
  return [...declared, ...running].filter(Boolean);
}

/** The uses of this registry's images (its host under any of `hosts`, compared without case), one per reference. */
export function imageUses(objects: { kind: WorkloadKind; object: WorkloadObject }[], hosts: string[]): ImageUse[] {
  const ours = new Set(hosts.map((h) => h.toLowerCase()));
  const uses: ImageUse[] = [];
  for (const { kind, object } of objects) {
    const user = userOf(kind, object);
    for (const reference of referencesOf(kind, object)) {
      const parsed = parseReference(reference);
      if (!parsed || !ours.has(parsed.host)) continue;
      uses.push({ repo: parsed.repo, tag: parsed.digest ? undefined : parsed.tag ?? "latest", digest: parsed.digest, user });
    }
  }
  return uses;
}

/**
 * The digests in use in one repository, each with its first user: a digest reference as it is, a tag
 * reference through the tag's digest in `tags` (a tag the registry no longer has protects nothing).
 */
export function digestsInUse(repo: string, uses: ImageUse[], tags: TagFacts[]): Map<string, string> {
  const byTag = new Map(tags.map((t) => [t.tag, t.digest]));
  const inUse = new Map<string, string>();
  for (const use of uses.filter((u) => u.repo === repo)) {
    const digest = use.digest ?? (use.tag ? byTag.get(use.tag) : undefined);
    if (digest && !inUse.has(digest)) inUse.set(digest, use.user);
  }
  return inUse;
}
