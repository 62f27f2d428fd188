#!/usr/bin/env bash
# Deploys a stack with a local file backend (no Pulumi account): state lives in ./.pulumi-state,
# secrets are encrypted with PULUMI_CONFIG_PASSPHRASE. Usage: scripts/deploy.sh [dev|prod] [pulumi up flags]
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${1:-dev}"
shift || true

missing=()
command -v pulumi >/dev/null || missing+=("pulumi (https://www.pulumi.com/docs/install/)")
command -v docker >/dev/null || missing+=("docker (Docker Engine, to build and push images)")
command -v node >/dev/null || missing+=("node 20+")
if [ "$stack" = dev ]; then command -v microk8s >/dev/null || missing+=("microk8s (the dev stack enables its registry addon)"); fi
if [ "${#missing[@]}" -gt 0 ]; then
  printf 'missing prerequisite: %s\n' "${missing[@]}" >&2
  exit 1
fi
docker info >/dev/null 2>&1 || { echo "the Docker daemon is not answering: start it (sudo systemctl start docker)" >&2; exit 1; }
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  echo "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): it encrypts this stack's secrets" >&2
  exit 1
fi

export PULUMI_BACKEND_URL="file://$PWD/.pulumi-state"
mkdir -p .pulumi-state
[ -d node_modules ] || npm ci --no-audit --no-fund
pulumi stack select --create "$stack"
pulumi up "$@"
