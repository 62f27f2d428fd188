/** Pod-spec fragments every workload here shares, kept in one place so policy and code agree. */
import type { Input } from "@pulumi/pulumi";

export const PART_OF = "microk8s-pipeline";

/** A container's requests and limits, as config validates them (config/primitives.ts's ResourceSettings). */
export interface ContainerResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** What every object of this program carries: which system it belongs to and what manages it. */
export function managedLabels(): Record<string, string> {
  return { "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi" };
}

/** The `app.kubernetes.io/*` labels; `selector` is the stable subset a Deployment selects on. */
export function standardLabels(name: string, instance: string, component: string, version?: string) {
  const selector = { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": instance };
  const labels: Record<string, string> = {
    ...selector,
    "app.kubernetes.io/component": component,
    ...managedLabels(),
  };
  if (version) labels["app.kubernetes.io/version"] = version;
  return { selector, labels };
}

export function podSecurityContext(uid: number) {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Non-root, no privilege escalation, no capabilities; read-only root where the image allows it. */
export function containerSecurityContext(readOnlyRootFilesystem: boolean) {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    capabilities: { drop: ["ALL"] },
  };
}

export interface HttpProbeSettings {
  path: string;
  port: number | string;
  initialDelaySeconds: number;
  periodSeconds: number;
  failureThreshold?: number;
}

export function httpProbe(p: HttpProbeSettings) {
  return {
    httpGet: { path: p.path, port: p.port },
    initialDelaySeconds: p.initialDelaySeconds,
    periodSeconds: p.periodSeconds,
    timeoutSeconds: 3,
    failureThreshold: p.failureThreshold ?? 3,
  };
}

/** The node label that topology spread and same-node affinity group pods by. */
export const HOSTNAME_TOPOLOGY = "kubernetes.io/hostname";

/**
 * Replicas spread over nodes, so losing or draining one node takes at most one more replica than any other.
 * A hard rule (DoNotSchedule) that still schedules on one node: a single node is a single domain, whose
 * skew is always 0. Nodes that a taint shuts (cordoned, not ready) are left out of the count (Honor), so a
 * drain can move a replica to the nodes left; and each rollout's pods are spread among themselves
 * (pod-template-hash), not against the revision they replace.
 */
export function spreadOverNodes(selector: Record<string, string>) {
  return [
    {
      maxSkew: 1,
      topologyKey: HOSTNAME_TOPOLOGY,
      whenUnsatisfiable: "DoNotSchedule",
      labelSelector: { matchLabels: selector },
      matchLabelKeys: ["pod-template-hash"],
      nodeTaintsPolicy: "Honor",
    },
  ];
}

/**
 * A drain or an eviction takes one replica at a time. A pod that is not ready may always be evicted, so a
 * broken replica never blocks a node's drain (AlwaysAllow).
 */
export function disruptionBudgetSpec(selector: Record<string, string>) {
  return { maxUnavailable: 1, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: "AlwaysAllow" };
}

/** Where kubectl and the Kubernetes client libraries look for a pod's in-cluster credentials. */
export const API_TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The projected token, CA and namespace, for the one container of a pod that needs them (the account automounts nothing). */
export const apiTokenVolume = {
  name: "api-token",
  projected: {
    sources: [
      { serviceAccountToken: { path: "token", expirationSeconds: 3600 } },
      { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
      { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } },
    ],
  },
};

/**
 * A maintenance CronJob's spec: one Job at a time, never retried, bounded by `deadlineSeconds`; its pod runs
 * as `account` with no automounted token (the container that needs one mounts apiTokenVolume). `jobLabels`
 * go on each Job (the maintenance turn reads them), `podLabels` on its pod.
 */
export function maintenanceCronJobSpec<Pod extends object>(o: {
  schedule: Input<string>;
  deadlineSeconds: number;
  successfulJobsHistoryLimit: number;
  jobLabels?: Record<string, Input<string>>;
  podLabels: Record<string, string>;
  account: Input<string>;
  pod: Pod;
}) {
  return {
    schedule: o.schedule,
    concurrencyPolicy: "Forbid",
    successfulJobsHistoryLimit: o.successfulJobsHistoryLimit,
    failedJobsHistoryLimit: 3,
    jobTemplate: {
      ...(o.jobLabels ? { metadata: { labels: o.jobLabels } } : {}),
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: o.deadlineSeconds,
        template: {
          metadata: { labels: o.podLabels },
          spec: { serviceAccountName: o.account, automountServiceAccountToken: false, restartPolicy: "Never", ...o.pod },
        },
      },
    },
  };
}
