#!/usr/bin/env bash
# Prepares this machine for a test layer; safe to run again. Installs Docker Engine, the Distribution
# registry, skopeo and moto when missing, starts dockerd with no bridge (nothing on a private range;
# containers use host networking on 127.0.0.1), builds the local base images from the machine's own files,
# and the Go tools the layer runs. Undo with scripts/test-env/teardown.sh.
#   setup.sh [all|integration|e2e]
# Both layers use every step; the integration layer's control-plane tests need etcd, kube-apiserver and
# KWOK but not the Pulumi CLI and kubernetes provider, so it neither builds nor waits for those.
set -euo pipefail
cd "$(dirname "$0")/../.."
case "${1:-all}" in
  all | e2e) e2e_parts=(pulumi cluster) ;;
  integration) e2e_parts=(cluster) ;;
  *) echo "usage: $0 [all|integration|e2e]" >&2; exit 2 ;;
esac
state=.test-env
mkdir -p "$state"

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v skopeo >/dev/null || missing+=(skopeo)
[ -x /bin/busybox ] || missing+=(busybox-static)
command -v htpasswd >/dev/null || missing+=(apache2-utils)
command -v curl >/dev/null || missing+=(curl)
command -v git >/dev/null || missing+=(git)
command -v jq >/dev/null || missing+=(jq)
# The TLS tests make their own certificates, and pull through a node's containerd client.
command -v openssl >/dev/null || missing+=(openssl)
command -v ctr >/dev/null || missing+=(containerd)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "setup.sh: needs these Debian packages, and root with apt-get to install them: ${missing[*]} (run: sudo $0)" >&2
    exit 1
  fi
  echo "setup.sh: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v moto_server >/dev/null; then
  echo "setup.sh: installing moto[server] from PyPI (the S3 server the registry tests store into)"
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]'
fi
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "setup.sh: Go 1.26 or newer is needed to build cosign and the e2e tools (go.dev/doc/install)" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ] && ! docker info >/dev/null 2>&1; then
  echo "setup.sh: Docker Engine is not running and only root can start it here (run: sudo $0)" >&2
  exit 1
fi

# Debian's client matches its engine (and has BuildKit built in); another docker CLI may be first on PATH.
docker_cli=/usr/bin/docker
[ -x "$docker_cli" ] || docker_cli=docker
if ! "$docker_cli" info >/dev/null 2>&1; then
  echo "starting dockerd (--bridge=none, unix socket only)"
  setsid dockerd --bridge=none --iptables=false --ip-masq=false >"$state/dockerd.log" 2>&1 &
  echo $! >"$state/dockerd.pid"
  for _ in $(seq 1 60); do "$docker_cli" info >/dev/null 2>&1 && break; sleep 1; done
  "$docker_cli" info >/dev/null 2>&1 || { echo "dockerd did not start; see $state/dockerd.log" >&2; tail -20 "$state/dockerd.log" >&2; exit 1; }
fi

PATH="$(dirname "$docker_cli"):$PATH"
export PATH
# The Node the tests run on, whose binary the local Node image is made of; after the line above, which
# may put the machine's own Node first again.
# shellcheck source=scripts/test-env/node.sh
source scripts/test-env/node.sh

# The e2e suite's Pulumi CLI, kubernetes provider and control plane, built from the Go module proxy and
# kept outside the checkout (40-60 minutes on 2 cores the first time; a minute or two with Go's caches
# warm). Started first, in the background, so they overlap with every other step; waited for at the end.
e2e_tools=${E2E_TOOLS_DIR:-$HOME/.cache/microk8s-pipeline/e2e-tools}
e2e_builds=()
for part in "${e2e_parts[@]}"; do
  bash scripts/test-env/build-e2e-tools.sh "$e2e_tools" "check-$part" && continue
  echo "setup.sh: building the e2e tools' $part part into $e2e_tools, in the background (pulumi: the Pulumi CLI and kubernetes provider; cluster: etcd, kube-apiserver, KWOK)"
  bash scripts/test-env/build-e2e-tools.sh "$e2e_tools" "$part" >"$state/build-e2e-$part.log" 2>&1 &
  e2e_builds+=("$!:$part")
done

# Builds IMAGE unless it exists with the same recipe (this script's inputs), so a changed recipe rebuilds.
local_image() {
  local image="$1"; shift
  local recipe
  recipe=$(find scripts/test-env/rootfs-image.sh "${@%%:*}" -type f -print0 | sort -z | xargs -0 cat | sha256sum | cut -c1-16)-$(echo "$* ${IMAGE_CMD:-} ${IMAGE_LINKS:-}" | sha256sum | cut -c1-8)
  if [ "$("$docker_cli" image inspect -f '{{index .Config.Labels "microk8s-pipeline.recipe"}}' "$image" 2>/dev/null)" != "$recipe" ]; then
    IMAGE_RECIPE="$recipe" scripts/test-env/rootfs-image.sh "$image" "$@"
  fi
}
# Node with npm, as the official node images have it: the sample app's Dockerfile runs `npm ci`.
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
# Tagged with the major version the tests run on (test/integration/docker.ts NODE_BASE_IMAGE).
IMAGE_LINKS=/usr/local/bin/npm=../lib/node_modules/npm/bin/npm-cli.js local_image "local/node:$(node_major)" \
  "$(readlink -f "$(command -v node)"):/usr/local/bin/node" "$npm_dir:/usr/local/lib/node_modules/npm"
IMAGE_CMD='["/bin/registry","serve","/etc/docker/registry/config.yml"]' local_image local/registry:2.8 \
  /usr/bin/docker-registry:/bin/registry test/integration/fixtures/registry-image-config.yml:/etc/docker/registry/config.yml
# Distribution 3 (the registry), regctl and crane (bench:prune's peers), Trivy (the scan gate) and cosign
# (the signing tests), built from the Go module proxy and kept outside the checkout, so a new clone does not
# build them again (about 17 minutes the first time; seconds after).
go_tools=${GO_TOOLS_DIR:-$HOME/.cache/microk8s-pipeline/go-tools}
if ! bash scripts/test-env/build-go-tools.sh "$go_tools" check >/dev/null; then
  echo "setup.sh: building Distribution 3, regctl, crane, Trivy and cosign into $go_tools"
  bash scripts/test-env/build-go-tools.sh "$go_tools" >"$state/build-go-tools.log" 2>&1 || { tail -20 "$state/build-go-tools.log" >&2; exit 1; }
fi
# The scan tests' offline Trivy database: the advisories under test/integration/fixtures/trivy-advisories
# (OSV, as GitHub publishes them), built by Trivy's own database builder into Trivy's cache layout.
advisories=test/integration/fixtures/trivy-advisories
advisories_hash=$(find "$advisories" -type f -print0 | sort -z | xargs -0 cat | sha256sum | cut -c1-16)
if [ "$(cat "$state/trivy-cache/.advisories" 2>/dev/null)" != "$advisories_hash" ]; then
  rm -rf "$state/trivy-cache" "$state/trivy-advisories"
  cp -r "$advisories" "$state/trivy-advisories" && mkdir -p "$state/trivy-advisories/cocoapods-specs/Specs"
  "$go_tools/trivy-db" build --cache-dir "$state/trivy-advisories" --output-dir "$state/trivy-cache/db" --only-update ghsa \
    --update-interval 87600h >"$state/trivy-db.log" 2>&1 || { tail -20 "$state/trivy-db.log" >&2; exit 1; }
  echo "$advisories_hash" >"$state/trivy-cache/.advisories"
fi
IMAGE_CMD='["/bin/registry","serve","/etc/distribution/config.yml"]' local_image local/registry:3 \
  "$go_tools/registry3:/bin/registry" test/integration/fixtures/registry3-image-config.yml:/etc/distribution/config.yml
# The npm packages of the sample app and of the registry-prune image, exactly as their lockfiles pin them,
# for the loopback npm registry that the tests and benchmarks serve to `docker build`
# (test/integration/npmRegistry.ts).
mkdir -p "$state/npm"
# shellcheck disable=SC2016 # JavaScript for node -e: its ${...} are its own template strings
node -e 'for (const lock of ["./app/package-lock.json", "./prune/package-lock.json"]) for (const [p, v] of Object.entries(require(lock).packages)) if (p) console.log(`${p.replace(/^.*node_modules\//, "")}@${v.version}`)' | sort -u |
  while read -r spec; do
    file="$state/npm/$(echo "${spec%@*}" | sed 's/^@//; s#/#-#')-${spec##*@}.tgz"
    [ -s "$file" ] || npm pack --silent --pack-destination "$state/npm" "$spec" >/dev/null
  done
# The signing tests find cosign where they always have, in this checkout's $state/bin.
mkdir -p "$state/bin" && ln -sfn "$go_tools/cosign" "$state/bin/cosign"
# The e2e tool builds (started above) finish here.
for build in "${e2e_builds[@]}"; do
  wait "${build%%:*}" || { tail -20 "$state/build-e2e-${build#*:}.log" >&2; exit 1; }
done
echo "test environment ready (docker: $docker_cli, cosign: $state/bin/cosign, go tools: $go_tools, e2e tools: $e2e_tools)"
