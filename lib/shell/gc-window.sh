# shellcheck shell=sh
# The GC window's container (kubectl, the only one with an API token): read-only on, signal the collector,
# wait for it, and always read-only off again (the EXIT trap), even when a step failed. lib/gcScript.ts
# fills the @@NAME@@ values; comment lines like these are not rendered.
set -eu
# The window's turn (prune/turn.ts, the same order in shell): it waits while a Job of this registry's
# maintenance created before its own (creation time, then name) is unfinished, so a retention run's deletes
# never meet read-only. Before the trap: a window that gives up has changed nothing, and tells the collector.
jobs_of_registry() { kubectl -n @@NAMESPACE@@ get jobs -l '@@MAINTAINS_LABEL@@=@@DEPLOYMENT@@' -o 'jsonpath={range .items[*]}{.metadata.creationTimestamp} {.metadata.name} {.status.conditions[?(@.status=="True")].type}{"\n"}{end}'; }
waited=0
said=
while :; do
  jobs=$(jobs_of_registry) || { echo "cannot list the registry's maintenance Jobs: nothing done" >&2; touch @@DIR@@/abort; exit 1; }
  ahead=$(printf '%s\n' "$jobs" | LC_ALL=C awk -v me="$@@JOB_NAME_ENV@@" '
    { done_ = 0; for (i = 3; i <= NF; i++) if ($i == "Complete" || $i == "Failed") done_ = 1; key[NR] = $1 " " $2; name[NR] = $2; fin[NR] = done_; if ($2 == me) mine = $1 " " $2 }
    END { if (mine == "") { print "?"; exit } for (j = 1; j <= NR; j++) if (name[j] != me && !fin[j] && key[j] < mine) printf "%s ", name[j] }')
  [ "$ahead" != "?" ] || { echo "no Job $@@JOB_NAME_ENV@@ with the @@MAINTAINS_LABEL@@ label of @@DEPLOYMENT@@" >&2; touch @@DIR@@/abort; exit 1; }
  [ -n "$ahead" ] || break
  [ "$waited" -lt @@TURN_SECONDS@@ ] || { echo "$ahead still running after @@TURN_SECONDS@@s: nothing done" >&2; touch @@DIR@@/abort; exit 1; }
  [ "$said" = "$ahead" ] || echo "waiting for ${ahead% } (maintenance of the registry, started earlier) to finish"
  said=$ahead
  sleep 5; waited=$((waited + 5))
done
renewer=
# shellcheck disable=SC2329 # run by the EXIT trap below
restore() {
  status=$?
  [ -z "$renewer" ] || kill "$renewer" 2>/dev/null || true
  [ -e @@DIR@@/readonly ] || touch @@DIR@@/abort
  kubectl -n @@NAMESPACE@@ patch deployment/@@DEPLOYMENT@@ --type=merge -p '@@WRITABLE_PATCH@@' || status=1
  kubectl -n @@NAMESPACE@@ annotate deployment/@@DEPLOYMENT@@ @@LEASE_ANNOTATION@@- >/dev/null 2>&1 || true
  kubectl -n @@NAMESPACE@@ rollout status deployment/@@DEPLOYMENT@@ --timeout=@@ROLLOUT_SECONDS@@s || status=1
  echo "registry read-only mode off"
  exit "$status"
}
trap restore EXIT
trap 'exit 143' TERM INT
# The lease first: the guard never sees read-only on without one.
lease() { kubectl -n @@NAMESPACE@@ annotate --overwrite deployment/@@DEPLOYMENT@@ "@@LEASE_ANNOTATION@@=$(($(date +%s) + @@LEASE_SECONDS@@))" >/dev/null; }
lease
( while sleep @@RENEW_SECONDS@@; do lease || true; done ) >/dev/null 2>&1 &
renewer=$!
# The one change the GC accounts may make to the pod template: the switch annotation.
kubectl -n @@NAMESPACE@@ patch deployment/@@DEPLOYMENT@@ --type=merge -p '@@READONLY_PATCH@@'
kubectl -n @@NAMESPACE@@ rollout status deployment/@@DEPLOYMENT@@ --timeout=@@ROLLOUT_SECONDS@@s
# `rollout status` returns while old pods drain (preStop pause, drain timeout), and a draining pod still
# accepts writes. terminatingReplicas counts them (Kubernetes 1.33+); without it, the pods' grace period.
waited=0
said=
while :; do
  terminating=$(kubectl -n @@NAMESPACE@@ get deployment/@@DEPLOYMENT@@ -o 'jsonpath={.status.terminatingReplicas}')
  if [ -z "$terminating" ]; then
    grace=$(kubectl -n @@NAMESPACE@@ get deployment/@@DEPLOYMENT@@ -o 'jsonpath={.spec.template.spec.terminationGracePeriodSeconds}')
    echo "this cluster does not count terminating pods: waiting out their grace period (${grace:-30}s)"
    sleep "${grace:-30}"
    break
  fi
  [ "$terminating" -ne 0 ] || break
  [ "$waited" -lt @@ROLLOUT_SECONDS@@ ] || { echo "$terminating read-write registry pod(s) still terminating after @@ROLLOUT_SECONDS@@s" >&2; exit 1; }
  [ "$said" = "$terminating" ] || echo "waiting for $terminating read-write registry pod(s) to stop"
  said=$terminating
  sleep 2; waited=$((waited + 2))
done
echo "registry is read-only; collecting garbage"
touch @@DIR@@/readonly
waited=0
until [ -e @@DIR@@/collected ]; do
  [ "$waited" -lt @@COLLECT_SECONDS@@ ] || { echo "the collector did not finish in time" >&2; exit 1; }
  sleep 2; waited=$((waited + 2))
done
exit "$(cat @@DIR@@/collected)"
