# shellcheck shell=sh
# The node-trust DaemonSet's container (busybox sh) on each node: writes hosts.toml (and ca.crt) from its
# ConfigMap into <node certs.d>/<host>/, marks the folder as its own, removes the folders it marked for any
# other host (a changed registry.host), then waits; on SIGTERM it removes its files, so a node keeps no trust
# the program no longer declares. Inputs in the environment: REGISTRY_HOST, NODE_CERTS_DIR, TRUST_FILES.
set -eu
dir="$NODE_CERTS_DIR/$REGISTRY_HOST"
marker="@@MARKER@@"
remove() { rm -f "$1/hosts.toml" "$1/ca.crt" "$1/$marker"; rmdir "$1" 2>/dev/null || true; }
for old in "$NODE_CERTS_DIR"/*/"$marker"; do
  [ -e "$old" ] || continue
  owned=$(dirname "$old")
  [ "$owned" = "$dir" ] || { remove "$owned"; echo "removed the trust of $(basename "$owned"), no longer the registry host"; }
done
mkdir -p "$dir"
touch "$dir/$marker"
# A pull that finds hosts.toml must find the ca.crt it names: a new CA goes before it, a dropped one after.
if [ -f "$TRUST_FILES/ca.crt" ]; then cp "$TRUST_FILES/ca.crt" "$dir/ca.crt.new" && mv -f "$dir/ca.crt.new" "$dir/ca.crt"; fi
cp "$TRUST_FILES/hosts.toml" "$dir/hosts.toml.new" && mv -f "$dir/hosts.toml.new" "$dir/hosts.toml"
[ -f "$TRUST_FILES/ca.crt" ] || rm -f "$dir/ca.crt"
echo "this node trusts $REGISTRY_HOST through $dir"
trap 'remove "$dir"; echo "removed the trust of $REGISTRY_HOST"; exit 0' TERM INT
while :; do sleep 3600 & wait $!; done
