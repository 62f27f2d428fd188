# shellcheck shell=sh
# The GC guard: when the registry is read-only and no window holds a live lease (the window was killed
# before its trap ran), switch read-only off; otherwise do nothing. Filled by lib/gcScript.ts.
set -eu
state=$(kubectl -n @@NAMESPACE@@ get deployment/@@DEPLOYMENT@@ -o 'jsonpath={.spec.template.metadata.annotations.@@READONLY_ANNOTATION@@}|{.metadata.annotations.@@LEASE_ANNOTATION@@}')
readonly_value=${state%%|*}
expires=${state#*|}
[ "$readonly_value" = '@@READONLY_VALUE@@' ] || { echo "registry is writable"; exit 0; }
now=$(date +%s)
case "$expires" in *[!0-9]* | "") expires=0 ;; esac
if [ "$now" -lt "$expires" ]; then echo "a GC window holds read-only until $expires"; exit 0; fi
echo "registry left read-only by a GC window that is gone (lease expired at $expires): switching read-only off"
kubectl -n @@NAMESPACE@@ patch deployment/@@DEPLOYMENT@@ --type=merge -p '@@WRITABLE_PATCH@@'
kubectl -n @@NAMESPACE@@ annotate deployment/@@DEPLOYMENT@@ @@LEASE_ANNOTATION@@- >/dev/null 2>&1 || true
kubectl -n @@NAMESPACE@@ rollout status deployment/@@DEPLOYMENT@@ --timeout=@@ROLLOUT_SECONDS@@s
echo "registry read-only mode off"
