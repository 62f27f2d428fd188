#!/usr/bin/env bash
# Deploys a stack with a local file backend (no Pulumi account): state lives in ./.pulumi-state, secrets
# are encrypted with PULUMI_CONFIG_PASSPHRASE. It checks every prerequisite first, then runs
# `pulumi preview` and `pulumi up --refresh`, both with the policy pack and the stack's policy config: the
# image checks need the pushed digest, which only `up` knows, so the pack must run at `up` too.
#   scripts/deploy.sh dev|prod [pulumi up flags, e.g. --yes]
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${1:-}"
shift || true
die() { echo "deploy: $*" >&2; exit 1; }

stacks=$(for file in Pulumi.*.yaml; do file=${file#Pulumi.}; printf '%s ' "${file%.yaml}"; done)
[ -n "$stack" ] || die "name a stack: one of ${stacks% }"
[ -f "Pulumi.$stack.yaml" ] || die "no stack file Pulumi.$stack.yaml: the stacks are ${stacks% }"
policy_config="policy/config/$stack.json"
[ -f "$policy_config" ] || die "no policy config $policy_config for stack $stack"

missing=()
command -v pulumi >/dev/null || missing+=("pulumi (https://www.pulumi.com/docs/install/)")
command -v docker >/dev/null || missing+=("docker (Docker Engine, to build and push images)")
command -v node >/dev/null || missing+=("node 22+")
command -v npm >/dev/null || missing+=("npm")
mode=unknown
if command -v node >/dev/null && command -v npm >/dev/null; then
  node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)' || die "Node.js 22 or newer is needed (found $(node --version))"
  [ -d node_modules ] || npm ci --no-audit --no-fund
  [ -d policy/node_modules ] || npm ci --prefix policy --no-audit --no-fund
  # The stack's registry mode, resolved by the program's own mode table (modes/index.ts, config/stackMode.ts).
  mode=$(npm run --silent stack-mode -- "Pulumi.$stack.yaml") || die "cannot tell the registry mode of Pulumi.$stack.yaml (the line above says why)"
fi
if [ "$mode" = microk8s-addon ]; then
  command -v microk8s >/dev/null || missing+=("microk8s (this stack enables its registry addon)")
fi
command -v kubectl >/dev/null || command -v microk8s >/dev/null || missing+=("kubectl, or microk8s (to reach the cluster)")
if [ "${#missing[@]}" -gt 0 ]; then
  printf 'deploy: missing prerequisite: %s\n' "${missing[@]}" >&2
  exit 1
fi
docker info >/dev/null 2>&1 || die "the Docker daemon is not answering: start it (sudo systemctl start docker), and add your user to the docker group"
if [ "$mode" = microk8s-addon ]; then
  microk8s status >/dev/null 2>&1 || die "microk8s does not answer: start it (microk8s start) and add your user to the microk8s group (sudo usermod -aG microk8s \$USER, then log in again)"
fi
# The kubernetes provider uses the kubeconfig kubectl would; check that it reaches a running cluster.
if command -v kubectl >/dev/null; then
  kubectl version --request-timeout=10s >/dev/null 2>&1 ||
    die "the kubeconfig does not reach a running cluster (kubectl version failed); for MicroK8s: microk8s config > ~/.kube/config"
elif [ -z "${KUBECONFIG:-}" ] && [ ! -f "$HOME/.kube/config" ]; then
  die "no kubeconfig for the kubernetes provider: microk8s config > ~/.kube/config"
fi
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  die "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): it encrypts this stack's secrets"
fi

export PULUMI_BACKEND_URL="file://$PWD/.pulumi-state"
mkdir -p .pulumi-state
pulumi stack select --create "$stack"
policy=(--policy-pack policy --policy-pack-config "$policy_config")
# At preview a built image's reference is unknown, so container-image-pinned reports that it cannot run
# there; the same pack then enforces it during `up`, where the digest is known.
pulumi preview "${policy[@]}"
# --refresh: what changed in the cluster behind Pulumi's back is put back (a registry a killed GC window left
# read-only among it).
pulumi up --refresh "${policy[@]}" "$@"
