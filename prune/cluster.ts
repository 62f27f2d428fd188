/**
 * Reads the cluster's workloads for in-use protection, through the Kubernetes client library: `list` on
 * each kind in every namespace, page by page, and nothing else. Any failure (unreachable, RBAC, a
 * kubeconfig that does not load) is a ClusterError, so the CLI stops before any deletion.
 */
import * as k8s from "@kubernetes/client-node";
import type { WorkloadKind, WorkloadObject } from "./inUse";
import { type JobObject, jobsAhead, MAINTAINS_LABEL } from "./turn";

export class ClusterError extends Error {
  /** What needed the cluster: in-use protection, or the run's turn (--wait-turn). */
  constructor(message: string, readonly part = "in-use protection") {
    super(message);
    this.name = "ClusterError";
  }
}

/** A list page, as every `list…ForAllNamespaces` call returns it. */
interface Page {
  items: WorkloadObject[];
  metadata?: { _continue?: string };
}

const PAGE_SIZE = 500;

async function listAll(list: (page: { limit: number; _continue?: string }) => Promise<Page>): Promise<WorkloadObject[]> {
  const items: WorkloadObject[] = [];
  let next: string | undefined;
  do {
    const page = await list({ limit: PAGE_SIZE, ...(next ? { _continue: next } : {}) });
    items.push(...page.items);
    next = page.metadata?._continue || undefined;
  } while (next);
  return items;
}

/** Loads the kubeconfig file given, else the pod's in-cluster account, else the default kubeconfig. */
function loadConfig(kubeconfig: string | undefined): k8s.KubeConfig {
  const config = new k8s.KubeConfig();
  try {
    if (kubeconfig) config.loadFromFile(kubeconfig);
    else if (process.env.KUBERNETES_SERVICE_HOST) config.loadFromCluster();
    else config.loadFromDefault();
  } catch (error) {
    throw new ClusterError(`cannot load ${kubeconfig ?? "the kubeconfig"}: ${(error as Error).message}`);
  }
  if (!config.getCurrentCluster()) throw new ClusterError(`${kubeconfig ?? "the kubeconfig"} names no cluster`);
  return config;
}

/** Why a list call failed, in one line: the API's status message, or the connection error. */
function reason(error: unknown): string {
  const e = error as { code?: number; body?: unknown; message?: string; cause?: { code?: string } };
  let message = e.message ?? String(error);
  try {
    const body = typeof e.body === "string" ? JSON.parse(e.body) : e.body;
    if (body && typeof body === "object" && "message" in body) message = String((body as { message: unknown }).message);
  } catch {
    // the error's own message stands
  }
  return `${e.code ? `HTTP ${e.code}: ` : ""}${message.split("\n")[0]}`;
}

/** Every workload object of the kinds in-use protection reads, in every namespace. */
export async function listWorkloads(kubeconfig: string | undefined): Promise<{ kind: WorkloadKind; object: WorkloadObject }[]> {
  const config = loadConfig(kubeconfig);
  const core = config.makeApiClient(k8s.CoreV1Api);
  const apps = config.makeApiClient(k8s.AppsV1Api);
  const batch = config.makeApiClient(k8s.BatchV1Api);
  // Owners before what they own, so a digest is credited to the workload a person knows by name: the
  // Deployment (its current image), then its old ReplicaSets (with their revision), Pods last.
  const lists: [WorkloadKind, (page: { limit: number; _continue?: string }) => Promise<Page>][] = [
    ["Deployment", (p) => apps.listDeploymentForAllNamespaces(p) as Promise<Page>],
    ["StatefulSet", (p) => apps.listStatefulSetForAllNamespaces(p) as Promise<Page>],
    ["DaemonSet", (p) => apps.listDaemonSetForAllNamespaces(p) as Promise<Page>],
    ["CronJob", (p) => batch.listCronJobForAllNamespaces(p) as Promise<Page>],
    ["Job", (p) => batch.listJobForAllNamespaces(p) as Promise<Page>],
    ["ReplicaSet", (p) => apps.listReplicaSetForAllNamespaces(p) as Promise<Page>],
    ["Pod", (p) => core.listPodForAllNamespaces(p) as Promise<Page>],
  ];
  const found: { kind: WorkloadKind; object: WorkloadObject }[] = [];
  for (const [kind, list] of lists) {
    try {
      for (const object of await listAll(list)) found.push({ kind, object });
    } catch (error) {
      throw new ClusterError(`cannot list ${kind}s in every namespace at ${config.getCurrentCluster()?.server}: ${reason(error)}`);
    }
  }
  return found;
}

const TURN = "its turn (--wait-turn)";

export interface TurnWait {
  pollMs: number;
  timeoutMs: number;
}

/**
 * Waits until this run's Job (`namespace`/`job`) is first among its registry's unfinished maintenance
 * Jobs (prune/turn.ts), with `list` on Jobs and nothing else. Says once who it waits for; a job still
 * ahead after `timeoutMs` is a ClusterError, so nothing is deleted.
 */
export async function waitForTurn(kubeconfig: string | undefined, namespace: string, job: string, wait: TurnWait, say: (line: string) => void): Promise<void> {
  const batch = loadConfig(kubeconfig).makeApiClient(k8s.BatchV1Api);
  const list = async (selector: { fieldSelector?: string; labelSelector?: string }) => {
    try {
      return ((await batch.listNamespacedJob({ namespace, ...selector })) as { items: JobObject[] }).items;
    } catch (error) {
      throw new ClusterError(`cannot list Jobs in ${namespace}: ${reason(error)}`, TURN);
    }
  };
  const [me] = await list({ fieldSelector: `metadata.name=${job}` });
  const registry = me?.metadata?.labels?.[MAINTAINS_LABEL];
  if (!registry) throw new ClusterError(`no Job ${namespace}/${job} with a ${MAINTAINS_LABEL} label`, TURN);
  let said = "";
  for (const started = Date.now(); ; ) {
    const ahead = jobsAhead(await list({ labelSelector: `${MAINTAINS_LABEL}=${registry}` }), me);
    if (ahead.length === 0) return;
    if (Date.now() - started >= wait.timeoutMs) throw new ClusterError(`${ahead.join(", ")} still running after ${Math.round(wait.timeoutMs / 1000)}s`, TURN);
    if (ahead.join() !== said) say(`waiting for ${ahead.join(", ")} (maintenance of ${registry}, started earlier) to finish`);
    said = ahead.join();
    await new Promise((resolve) => setTimeout(resolve, wait.pollMs));
  }
}
