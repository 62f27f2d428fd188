/** Where the pod spec and containers sit in each kind of workload, as the Kubernetes provider receives them. */

export const POD_SPEC_PATHS: Record<string, string[]> = {
  "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
  "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
  "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
  "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
  "kubernetes:core/v1:Pod": ["spec"],
};

/** Long-running workloads: the ones probes make sense for. */
export const SERVING_KINDS = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet"];

export interface Container {
  name?: string;
  image?: string;
  imagePullPolicy?: string;
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: unknown } }[];
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  securityContext?: { runAsNonRoot?: boolean; allowPrivilegeEscalation?: boolean };
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  securityContext?: { runAsNonRoot?: boolean };
  volumes?: { name?: string; hostPath?: { path?: string } }[];
}

/** The pod template's annotations (a bare Pod's own); `{}` for other resources. */
export function podAnnotationsOf(type: string, props: Record<string, any>): Record<string, string> {
  const path = POD_SPEC_PATHS[type];
  if (!path) return {};
  const metadataPath = type === "kubernetes:core/v1:Pod" ? ["metadata"] : [...path.slice(0, -1), "metadata"];
  return metadataPath.reduce<any>((node, key) => node?.[key], props)?.annotations ?? {};
}

/** Why the workload needs the node itself (NODE_ACCESS_ANNOTATION), or undefined: no reason given. */
export function nodeAccessReason(type: string, props: Record<string, any>, annotation: string): string | undefined {
  const reason = podAnnotationsOf(type, props)[annotation];
  return typeof reason === "string" && reason.trim().length > 0 ? reason : undefined;
}

export function podSpecOf(type: string, props: Record<string, any>): PodSpec | undefined {
  const path = POD_SPEC_PATHS[type];
  if (!path) return undefined;
  return path.reduce<any>((node, key) => node?.[key], props);
}

export interface ContainerInPod {
  /** `container "web"` or `init container "init"`, for messages. */
  label: string;
  container: Container;
  pod: PodSpec;
}

/** Every container (init containers included) of a workload resource; none for other resources. */
export function containersOf(type: string, props: Record<string, any>): ContainerInPod[] {
  const pod = podSpecOf(type, props);
  if (!pod) return [];
  return [
    ...(pod.initContainers ?? []).map((c) => ({ label: `init container "${c.name}"`, container: c, pod })),
    ...(pod.containers ?? []).map((c) => ({ label: `container "${c.name}"`, container: c, pod })),
  ];
}

/** Workloads whose `spec.replicas` says how many pods run. */
export const REPLICATED_KINDS = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"];

/** `spec.replicas`, 1 when unset (the API's default). */
export const replicasOf = (props: Record<string, any>): number => (typeof props.spec?.replicas === "number" ? props.spec.replicas : 1);
