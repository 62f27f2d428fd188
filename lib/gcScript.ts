/**
 * The garbage-collection window for a managed registry, as two containers of one CronJob pod that share
 * a folder (`dir`) and nothing else:
 * - the window (kubectl, the only one with an API token) switches the registry to read-only
 *   (`storage.maintenance.readonly`) and waits for the rollout, so no push can race the collector (GC is
 *   stop-the-world for writes; a concurrent push can lose blobs), then signals the collector, waits for it,
 *   and always switches read-only off again (an EXIT trap), even when a step failed;
 * - the collector (the registry's own image, with its storage settings and volume, no token) waits for the
 *   signal and runs `registry garbage-collect` on the registry's storage.
 * No `kubectl exec`: the job needs no access to any pod. No `--delete-untagged`: on 2.8 it deletes the
 * children of multi-platform indexes (distribution#3178).
 */
import { MAINTAINS_LABEL } from "../prune/turn";
import { DNS_LABEL } from "./patterns";
import { renderScript } from "./shellScript";

export const READONLY_ENV = "REGISTRY_STORAGE_MAINTENANCE_READONLY";
/**
 * The switch: a pod-template annotation that the registry container reads as READONLY_ENV through the
 * downward API. The GC accounts may change this annotation and nothing else of the pod template (the
 * admission policy in components/registryGc.ts), so they can roll the registry but never change what it
 * runs or mounts.
 */
export const READONLY_ANNOTATION = "microk8s-pipeline/registry-readonly";
export const READONLY_VALUE = '{"enabled":true}';
/**
 * What the registry's template declares: the program owns the annotation, so \`pulumi up --refresh\` sees a
 * window's change to it as drift and puts it back. The window and the guard flip its value, never remove it.
 */
export const WRITABLE_VALUE = '{"enabled":false}';
export const GC_WINDOW_DIR = "/window";
/**
 * The window's lease on read-only, as a Unix time on the registry Deployment: renewed while the window
 * lives, so a window killed without running its trap (SIGKILL, a lost node) leaves an expired lease that
 * the guard (gcGuardScript) acts on.
 */
export const LEASE_ANNOTATION = "microk8s-pipeline/gc-window-expires";

export interface GcTimeouts {
  /** Each rollout (read-only on, then off), and the wait for the old pods to stop. */
  rolloutSeconds: number;
  /** How long the window waits for the collector, and the collector for the window. */
  collectSeconds: number;
  /** How far ahead each renewal sets the lease, and how often the window renews it. */
  leaseSeconds: number;
  renewSeconds: number;
  /** How long the window waits for the registry's earlier maintenance Jobs (a retention run) to finish. */
  turnSeconds: number;
}

export const GC_TIMEOUTS: GcTimeouts = { rolloutSeconds: 300, collectSeconds: 2700, leaseSeconds: 120, renewSeconds: 30, turnSeconds: 1800 };
/** The window's own Job name, from the downward API (the Job controller's label on its pod). */
export const JOB_NAME_ENV = "JOB_NAME";

function checkedNames(namespace: string, deployment: string): void {
  for (const [what, value] of [["namespace", namespace], ["deployment", deployment]]) {
    if (!DNS_LABEL.test(value)) throw new Error(`${what} must be a DNS label, got ${JSON.stringify(value)}`);
  }
}

/** The merge patch that sets the switch annotation to `value`: the one change the GC accounts may make. */
const switchPatch = (value: string) => JSON.stringify({ spec: { template: { metadata: { annotations: { [READONLY_ANNOTATION]: value } } } } });

/** What the window and the guard share: the registry Deployment they act on, and the switch and lease names. */
const registryValues = (namespace: string, deployment: string) => {
  checkedNames(namespace, deployment);
  return {
    NAMESPACE: namespace,
    DEPLOYMENT: deployment,
    WRITABLE_PATCH: switchPatch(WRITABLE_VALUE),
    LEASE_ANNOTATION,
  };
};

/** The window's container (lib/shell/gc-window.sh): waits its turn, read-only on, collects, read-only off. */
export function gcWindowScript(namespace: string, deployment: string, dir = GC_WINDOW_DIR, timeouts: GcTimeouts = GC_TIMEOUTS): string {
  return renderScript("gc-window", {
    ...registryValues(namespace, deployment),
    READONLY_PATCH: switchPatch(READONLY_VALUE),
    MAINTAINS_LABEL,
    JOB_NAME_ENV,
    DIR: dir,
    TURN_SECONDS: timeouts.turnSeconds,
    ROLLOUT_SECONDS: timeouts.rolloutSeconds,
    COLLECT_SECONDS: timeouts.collectSeconds,
    LEASE_SECONDS: timeouts.leaseSeconds,
    RENEW_SECONDS: timeouts.renewSeconds,
  });
}

/**
 * The guard, a CronJob of its own (lib/shell/gc-guard.sh): when the registry is read-only and no window
 * holds a live lease (the window was killed before its trap ran), it switches read-only off.
 */
export function gcGuardScript(namespace: string, deployment: string, timeouts: Pick<GcTimeouts, "rolloutSeconds"> = GC_TIMEOUTS): string {
  return renderScript("gc-guard", { ...registryValues(namespace, deployment), READONLY_ANNOTATION, READONLY_VALUE, ROLLOUT_SECONDS: timeouts.rolloutSeconds });
}

/** The collector's container (lib/shell/gc-collect.sh): waits for read-only, then `registry garbage-collect`. */
export function gcCollectScript(configPath: string, dir = GC_WINDOW_DIR, timeouts: GcTimeouts = GC_TIMEOUTS): string {
  if (!/^\/[\w./-]+$/.test(configPath)) throw new Error(`configPath must be an absolute path, got ${JSON.stringify(configPath)}`);
  return renderScript("gc-collect", { CONFIG_PATH: configPath, DIR: dir, COLLECT_SECONDS: timeouts.collectSeconds });
}
