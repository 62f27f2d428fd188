#!/usr/bin/env bash
# Prints build figures for the sample app (not a test): cold build, rebuild after a code-only change,
# their ratio, and the final image size against a single-stage build of the same app. Median of RUNS.
# Needs the integration test environment (scripts/test-env/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"
DOCKER=/usr/bin/docker; [ -x "$DOCKER" ] || DOCKER=docker
export DOCKER_BUILDKIT=1
BASE=local/node:20
"$DOCKER" image inspect "$BASE" >/dev/null 2>&1 || { echo "missing $BASE: run scripts/test-env/setup.sh" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"; "$DOCKER" rmi -f bench/web:multi bench/web:single >/dev/null 2>&1 || true' EXIT
cp -r app "$work/app"

build() { "$DOCKER" build -q --network host --build-arg BASE_IMAGE="$BASE" "$@" >/dev/null; }
ms() { local start end; start=$(date +%s%N); "$@"; end=$(date +%s%N); echo $(((end - start) / 1000000)); }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

cold=(); rebuild=()
for i in $(seq 1 "$RUNS"); do
  "$DOCKER" builder prune -af >/dev/null
  cold+=("$(ms build --no-cache -t bench/web:multi "$work/app")")
  echo "// code-only change $i" >>"$work/app/src/server.js"
  rebuild+=("$(ms build -t bench/web:multi "$work/app")")
done
cold_ms=$(median "${cold[@]}"); rebuild_ms=$(median "${rebuild[@]}")

cat >"$work/Dockerfile.single" <<'DOCKERFILE'
ARG BASE_IMAGE=node:20-alpine
FROM ${BASE_IMAGE}
WORKDIR /app
COPY . .
USER 1000:1000
CMD ["node", "src/server.js"]
DOCKERFILE
# The single-stage build takes the whole folder, without the .dockerignore, as the document's first example.
rm "$work/app/.dockerignore"
build -f "$work/Dockerfile.single" -t bench/web:single "$work/app"
size() { "$DOCKER" image inspect -f '{{.Size}}' "$1"; }
multi_size=$(size bench/web:multi); single_size=$(size bench/web:single)

printf 'sample app build, median of %s runs (docker %s, BuildKit, base %s)\n' "$RUNS" "$("$DOCKER" version -f '{{.Server.Version}}')" "$BASE"
printf '  cold build (no cache)         %6d ms   runs: %s\n' "$cold_ms" "${cold[*]}"
printf '  rebuild after a code change   %6d ms   runs: %s\n' "$rebuild_ms" "${rebuild[*]}"
awk -v r="$rebuild_ms" -v c="$cold_ms" 'BEGIN { printf "  rebuild / cold                %6.2f     (target <= 0.25)\n", r / c }'
printf '  image size multi-stage        %6.1f MB\n' "$(awk -v s="$multi_size" 'BEGIN { print s / 1e6 }')"
printf '  image size single-stage       %6.1f MB\n' "$(awk -v s="$single_size" 'BEGIN { print s / 1e6 }')"
