#!/usr/bin/env bash
# Runs `node ARGS...` on a supported Node (22 or newer; scripts/test-env/node.sh), as npm test does: the
# benches run through it.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/test-env/node.sh
source scripts/test-env/node.sh
exec node "$@"
