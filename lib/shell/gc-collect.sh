# shellcheck shell=sh
# The GC collector (the registry's own image, its storage and volume, no token): waits for the window's
# signal, then collects. No --delete-untagged: on 2.8 it deletes the children of multi-platform indexes
# (distribution#3178). Filled by lib/gcScript.ts.
set -u
waited=0
until [ -e @@DIR@@/readonly ] || [ -e @@DIR@@/abort ]; do
  [ "$waited" -lt @@COLLECT_SECONDS@@ ] || { echo "the registry was never switched to read-only" >&2; exit 1; }
  sleep 2; waited=$((waited + 2))
done
[ ! -e @@DIR@@/abort ] || { echo "the window failed before read-only: nothing collected" >&2; exit 1; }
registry garbage-collect @@CONFIG_PATH@@
status=$?
echo "$status" > @@DIR@@/collected.tmp && mv @@DIR@@/collected.tmp @@DIR@@/collected
exit "$status"
