import { DNS_LABEL } from "./patterns";

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
export const READONLY_VALUE = '{"enabled":true}';
export const GC_WINDOW_DIR = "/window";

export interface GcTimeouts {
  /** Each rollout (read-only on, then off). */
  rolloutSeconds: number;
  /** How long the window waits for the collector, and the collector for the window. */
  collectSeconds: number;
}

export const GC_TIMEOUTS: GcTimeouts = { rolloutSeconds: 300, collectSeconds: 2700 };

/** A shell loop that waits up to `seconds` for one of `files`; exits 1 with `message` otherwise. */
const waitFor = (files: string[], seconds: number, message: string) => [
  "waited=0",
  `until ${files.map((f) => `[ -e ${f} ]`).join(" || ")}; do`,
  `  [ "$waited" -lt ${seconds} ] || { echo "${message}" >&2; exit 1; }`,
  "  sleep 2; waited=$((waited + 2))",
  "done",
];

export function gcWindowScript(namespace: string, deployment: string, dir = GC_WINDOW_DIR, timeouts: GcTimeouts = GC_TIMEOUTS): string {
  for (const [what, value] of [["namespace", namespace], ["deployment", deployment]]) {
    if (!DNS_LABEL.test(value)) throw new Error(`${what} must be a DNS label, got ${JSON.stringify(value)}`);
  }
  const k = `kubectl -n ${namespace}`;
  const target = `deployment/${deployment}`;
  return [
    "set -eu",
    "restore() {",
    "  status=$?",
    `  [ -e ${dir}/readonly ] || touch ${dir}/abort`,
    `  ${k} set env ${target} ${READONLY_ENV}- || status=1`,
    `  ${k} rollout status ${target} --timeout=${timeouts.rolloutSeconds}s || status=1`,
    '  echo "registry read-only mode off"',
    '  exit "$status"',
    "}",
    "trap restore EXIT",
    "trap 'exit 143' TERM INT",
    `${k} set env ${target} '${READONLY_ENV}=${READONLY_VALUE}'`,
    `${k} rollout status ${target} --timeout=${timeouts.rolloutSeconds}s`,
    'echo "registry is read-only; collecting garbage"',
    `touch ${dir}/readonly`,
    ...waitFor([`${dir}/collected`], timeouts.collectSeconds, "the collector did not finish in time"),
    `exit "$(cat ${dir}/collected)"`,
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
