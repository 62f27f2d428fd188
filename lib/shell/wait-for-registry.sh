# shellcheck shell=sh
# Polls <base>/v2/ until the registry answers, a bounded number of times. Authenticated, only 200 counts
# (after a credential rotation it waits for the registry to have the new htpasswd); the header reaches curl
# on its standard input, never a command line, where ps would show it. With $REGISTRY_CA, curl verifies the
# registry against it alone. Filled by lib/waitScript.ts.
set -u
status=none
ca=""
if [ -n "${REGISTRY_CA:-}" ]; then ca=$(mktemp); trap 'rm -f "$ca"' EXIT; printf "%s\n" "$REGISTRY_CA" > "$ca"; fi
i=0
while [ "$i" -lt @@ATTEMPTS@@ ]; do
  i=$((i + 1))
  status=$(@@AUTH_HEADER@@curl -s -o /dev/null -w '%{http_code}' --max-time 5${ca:+ --cacert "$ca"}@@AUTH_FLAG@@ '@@URL@@' || true)
  case "$status" in @@ACCEPTED@@) echo "registry @@URL@@ answered $status after $i attempt(s)"; exit 0;; esac
  [ "$i" -lt @@ATTEMPTS@@ ] && sleep @@INTERVAL@@
done
echo "registry @@URL@@ did not answer @@WHAT@@ after @@ATTEMPTS@@ attempts @@INTERVAL@@s apart (last status: $status). @@HINT@@" >&2
exit 1
