# shellcheck shell=sh
# Makes the pushing Docker daemon trust the registry's CA where it reads it for each push (no restart).
# Where this user cannot write there, the CA is staged in a file of its own and the script stops before any
# push with the one command that installs it. Inputs in the environment: REGISTRY_CA, REGISTRY_HOST,
# DOCKER_CERTS_DIR, STAGED_CA_NAME.
set -eu
dir="$DOCKER_CERTS_DIR/$REGISTRY_HOST"
if mkdir -p "$dir" 2>/dev/null && [ -w "$dir" ]; then
  printf "%s\n" "$REGISTRY_CA" > "$dir/ca.crt.new"
  chmod 0644 "$dir/ca.crt.new"
  mv -f "$dir/ca.crt.new" "$dir/ca.crt"
  echo "Docker trusts $REGISTRY_HOST through $dir/ca.crt"
  exit 0
fi
staged="${TMPDIR:-/tmp}/$STAGED_CA_NAME"
(umask 022; printf "%s\n" "$REGISTRY_CA" > "$staged")
echo "Docker must trust the registry CA before the push, and $dir is not writable here. Run: sudo install -D -m 0644 $staged $dir/ca.crt (then pulumi up again)" >&2
exit 1
