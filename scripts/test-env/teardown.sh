#!/usr/bin/env bash
# Stops what the integration tests and setup.sh left running, each by its own id or pid.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
state=.test-env
docker_cli=/usr/bin/docker
[ -x "$docker_cli" ] || docker_cli=docker
if "$docker_cli" info >/dev/null 2>&1; then
  mapfile -t leftovers < <("$docker_cli" ps -aq --filter label=microk8s-pipeline-test)
  [ "${#leftovers[@]}" -eq 0 ] || "$docker_cli" rm -f "${leftovers[@]}" >/dev/null
fi
for pidfile in "$state"/*.pid; do
  [ -e "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  rm -f "$pidfile"
done
echo "test environment stopped"
