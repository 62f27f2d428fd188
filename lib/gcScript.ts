import { DNS_LABEL } from "./patterns";
import { MAINTAINS_LABEL } from "../prune/turn";

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

/** One `get` of the registry Deployment, so what the script reads of it is one snapshot. */
const readDeployment = (k: string, target: string, jsonpath: string) => `${k} get ${target} -o 'jsonpath=${jsonpath}'`;
const READONLY_PATH = `{.spec.template.metadata.annotations.${READONLY_ANNOTATION}}`;

/** The one change the GC accounts may make to the pod template: the switch annotation to `value`. */
const switchTo = (k: string, target: string, value: string) =>
  `${k} patch ${target} --type=merge -p '${JSON.stringify({ spec: { template: { metadata: { annotations: { [READONLY_ANNOTATION]: value } } } } })}'`;
const LEASE_PATH = `{.metadata.annotations.${LEASE_ANNOTATION}}`;

/**
 * Waits until no pod of the registry still runs without read-only: \`rollout status\` returns while old
 * pods drain (preStop pause and drain timeout), and a pod draining still accepts writes. The Deployment's
 * \`terminatingReplicas\` counts them (Kubernetes 1.33+ with DeploymentReplicaSetTerminatingReplicas); a cluster
 * without it gets the pods' whole grace period instead.
 */
const waitForOldPods = (k: string, target: string, seconds: number) => [
  "waited=0",
  "said=",
  "while :; do",
  `  terminating=$(${readDeployment(k, target, "{.status.terminatingReplicas}")})`,
  '  if [ -z "$terminating" ]; then',
  `    grace=$(${readDeployment(k, target, "{.spec.template.spec.terminationGracePeriodSeconds}")})`,
  '    echo "this cluster does not count terminating pods: waiting out their grace period (${grace:-30}s)"',
  '    sleep "${grace:-30}"',
  "    break",
  "  fi",
  '  [ "$terminating" -ne 0 ] || break',
  `  [ "$waited" -lt ${seconds} ] || { echo "$terminating read-write registry pod(s) still terminating after ${seconds}s" >&2; exit 1; }`,
  '  [ "$said" = "$terminating" ] || echo "waiting for $terminating read-write registry pod(s) to stop"',
  '  said=$terminating',
  "  sleep 2; waited=$((waited + 2))",
  "done",
];

/** A shell loop that waits up to `seconds` for one of `files`; exits 1 with `message` otherwise. */
const waitFor = (files: string[], seconds: number, message: string) => [
  "waited=0",
  `until ${files.map((f) => `[ -e ${f} ]`).join(" || ")}; do`,
  `  [ "$waited" -lt ${seconds} ] || { echo "${message}" >&2; exit 1; }`,
  "  sleep 2; waited=$((waited + 2))",
  "done",
];

/**
 * The window's turn (prune/turn.ts, the same order in shell): it waits while a Job of this registry's
 * maintenance created before its own (creation time, then name) is unfinished, so a retention run's
 * deletes never meet read-only. Before the trap: a window that gives up has changed nothing, and tells
 * the collector to stop.
 */
const waitForTurn = (k: string, deployment: string, dir: string, seconds: number) => [
  `jobs_of_registry() { ${k} get jobs -l '${MAINTAINS_LABEL}=${deployment}' -o 'jsonpath={range .items[*]}{.metadata.creationTimestamp} {.metadata.name} {.status.conditions[?(@.status=="True")].type}{"\\n"}{end}'; }`,
  "waited=0",
  "said=",
  "while :; do",
  `  jobs=$(jobs_of_registry) || { echo "cannot list the registry's maintenance Jobs: nothing done" >&2; touch ${dir}/abort; exit 1; }`,
  `  ahead=$(printf '%s\\n' "$jobs" | LC_ALL=C awk -v me="$${JOB_NAME_ENV}" '`,
  "    { done_ = 0; for (i = 3; i <= NF; i++) if ($i == \"Complete\" || $i == \"Failed\") done_ = 1; key[NR] = $1 \" \" $2; name[NR] = $2; fin[NR] = done_; if ($2 == me) mine = $1 \" \" $2 }",
  "    END { if (mine == \"\") { print \"?\"; exit } for (j = 1; j <= NR; j++) if (name[j] != me && !fin[j] && key[j] < mine) printf \"%s \", name[j] }')",
  `  [ "$ahead" != "?" ] || { echo "no Job $${JOB_NAME_ENV} with the ${MAINTAINS_LABEL} label of ${deployment}" >&2; touch ${dir}/abort; exit 1; }`,
  '  [ -n "$ahead" ] || break',
  `  [ "$waited" -lt ${seconds} ] || { echo "$ahead still running after ${seconds}s: nothing done" >&2; touch ${dir}/abort; exit 1; }`,
  '  [ "$said" = "$ahead" ] || echo "waiting for ${ahead% } (maintenance of the registry, started earlier) to finish"',
  '  said=$ahead',
  "  sleep 5; waited=$((waited + 5))",
  "done",
];

export function gcWindowScript(namespace: string, deployment: string, dir = GC_WINDOW_DIR, timeouts: GcTimeouts = GC_TIMEOUTS): string {
  checkedNames(namespace, deployment);
  const k = `kubectl -n ${namespace}`;
  const target = `deployment/${deployment}`;
  return [
    "set -eu",
    ...waitForTurn(k, deployment, dir, timeouts.turnSeconds),
    "renewer=",
    "restore() {",
    "  status=$?",
    '  [ -z "$renewer" ] || kill "$renewer" 2>/dev/null || true',
    `  [ -e ${dir}/readonly ] || touch ${dir}/abort`,
    `  ${switchTo(k, target, WRITABLE_VALUE)} || status=1`,
    `  ${k} annotate ${target} ${LEASE_ANNOTATION}- >/dev/null 2>&1 || true`,
    `  ${k} rollout status ${target} --timeout=${timeouts.rolloutSeconds}s || status=1`,
    '  echo "registry read-only mode off"',
    '  exit "$status"',
    "}",
    "trap restore EXIT",
    "trap 'exit 143' TERM INT",
    `lease() { ${k} annotate --overwrite ${target} "${LEASE_ANNOTATION}=$(($(date +%s) + ${timeouts.leaseSeconds}))" >/dev/null; }`,
    // The lease first: the guard never sees read-only on without one.
    "lease",
    `( while sleep ${timeouts.renewSeconds}; do lease || true; done ) >/dev/null 2>&1 &`,
    "renewer=$!",
    switchTo(k, target, READONLY_VALUE),
    `${k} rollout status ${target} --timeout=${timeouts.rolloutSeconds}s`,
    ...waitForOldPods(k, target, timeouts.rolloutSeconds),
    'echo "registry is read-only; collecting garbage"',
    `touch ${dir}/readonly`,
    ...waitFor([`${dir}/collected`], timeouts.collectSeconds, "the collector did not finish in time"),
    `exit "$(cat ${dir}/collected)"`,
  ].join("\n");
}

/**
 * The guard, a CronJob of its own: when the registry is read-only and no window holds a live lease (the
 * window was killed before its trap ran), it switches read-only off. Otherwise it does nothing.
 */
export function gcGuardScript(namespace: string, deployment: string, timeouts: Pick<GcTimeouts, "rolloutSeconds"> = GC_TIMEOUTS): string {
  checkedNames(namespace, deployment);
  const k = `kubectl -n ${namespace}`;
  const target = `deployment/${deployment}`;
  return [
    "set -eu",
    `state=$(${readDeployment(k, target, `${READONLY_PATH}|${LEASE_PATH}`)})`,
    'readonly_value=${state%%|*}',
    'expires=${state#*|}',
    `[ "$readonly_value" = '${READONLY_VALUE}' ] || { echo "registry is writable"; exit 0; }`,
    'now=$(date +%s)',
    'case "$expires" in *[!0-9]* | "") expires=0 ;; esac',
    'if [ "$now" -lt "$expires" ]; then echo "a GC window holds read-only until $expires"; exit 0; fi',
    'echo "registry left read-only by a GC window that is gone (lease expired at $expires): switching read-only off"',
    switchTo(k, target, WRITABLE_VALUE),
    `${k} annotate ${target} ${LEASE_ANNOTATION}- >/dev/null 2>&1 || true`,
    `${k} rollout status ${target} --timeout=${timeouts.rolloutSeconds}s`,
    'echo "registry read-only mode off"',
  ].join("\n");
}

export function gcCollectScript(configPath: string, dir = GC_WINDOW_DIR, timeouts: GcTimeouts = GC_TIMEOUTS): string {
  if (!/^\/[\w./-]+$/.test(configPath)) throw new Error(`configPath must be an absolute path, got ${JSON.stringify(configPath)}`);
  return [
    "set -u",
    ...waitFor([`${dir}/readonly`, `${dir}/abort`], timeouts.collectSeconds, "the registry was never switched to read-only"),
    `[ ! -e ${dir}/abort ] || { echo "the window failed before read-only: nothing collected" >&2; exit 1; }`,
    `registry garbage-collect ${configPath}`,
    "status=$?",
    `echo "$status" > ${dir}/collected.tmp && mv ${dir}/collected.tmp ${dir}/collected`,
    'exit "$status"',
  ].join("\n");
}
