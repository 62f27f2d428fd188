import { DNS_LABEL } from "./patterns";

/**
 * The garbage-collection window for a managed registry, run by the CronJob's kubectl container:
 * 1. switch the registry to read-only (`storage.maintenance.readonly`) and wait for the rollout, so no
 *    push can race the collector (GC is stop-the-world for writes; a concurrent push can lose blobs);
 * 2. run the registry's own `garbage-collect` inside a registry pod, with its exact config and storage;
 * 3. always switch read-only off again (an EXIT trap), even when a step failed.
 * No `--delete-untagged`: on 2.8 it deletes the children of multi-platform indexes (distribution#3178).
 */
export const READONLY_ENV = "REGISTRY_STORAGE_MAINTENANCE_READONLY";
export const READONLY_VALUE = '{"enabled":true}';


export function gcScript(namespace: string, deployment: string, rolloutTimeoutSeconds = 600): string {
  for (const [what, value] of [["namespace", namespace], ["deployment", deployment]]) {
    if (!DNS_LABEL.test(value)) throw new Error(`${what} must be a DNS label, got ${JSON.stringify(value)}`);
  }
  const k = `kubectl -n ${namespace}`;
  const target = `deployment/${deployment}`;
  return [
    "set -eu",
    "restore() {",
    "  status=$?",
    `  ${k} set env ${target} ${READONLY_ENV}- || status=1`,
    `  ${k} rollout status ${target} --timeout=${rolloutTimeoutSeconds}s || status=1`,
    '  echo "registry read-only mode off"',
    '  exit "$status"',
    "}",
    "trap restore EXIT",
    `${k} set env ${target} '${READONLY_ENV}=${READONLY_VALUE}'`,
    `${k} rollout status ${target} --timeout=${rolloutTimeoutSeconds}s`,
    'echo "registry is read-only; collecting garbage"',
    `${k} exec ${target} -c registry -- registry garbage-collect /etc/docker/registry/config.yml`,
  ].join("\n");
}
