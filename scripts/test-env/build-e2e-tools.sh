#!/usr/bin/env bash
# Builds, from the Go module proxy alone, what the e2e suite runs the program under: the Pulumi CLI, the
# kubernetes provider plugin, and a control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, KWOK as the kubelet). Idempotent: a binary whose stamp names the same version is
# kept. Cold on 2 cores this takes 40-60 minutes; with Go's caches warm, a minute or two.
#   build-e2e-tools.sh OUTDIR [all|pulumi|cluster|check|check-pulumi|check-cluster]
set -euo pipefail
out=$(mkdir -p "${1:?usage: $0 OUTDIR}" && cd "$1" && pwd)
export PATH="$PATH:/usr/local/go/bin" GOFLAGS=-buildvcs=false
command -v go >/dev/null || { echo "Go is needed to build the e2e tools (apt-get install golang, or go.dev/dl)" >&2; exit 1; }
work="$out/.src"
mkdir -p "$work"
t0=$SECONDS

PULUMI_VERSION=v3.274.1
K8S_PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
K8S_PROVIDER_PSEUDO=v4.0.0-20260115033456-f47bc2d6f199  # the only version the proxy serves (between v4.24 and v4.25)
K8S_PROVIDER_SDK=v4.24.0                                # stands in for the module's own `=> ../sdk` replace
K8S_VERSION=v1.37.2
K8S_STAGING_VERSION=v0.37.2
ETCD_VERSION=v3.7.3
KWOK_VERSION=v0.8.0

fresh() { [ -f "$out/.stamp-$1" ] && [ "$(cat "$out/.stamp-$1")" = "$2" ]; }
stamp() { echo "$2" >"$out/.stamp-$1"; echo "built $1 $2 ($((SECONDS - t0)) s so far)"; }

# wrap NAME "go.mod extra" : a wrapper module in $work/NAME
wrap() { mkdir -p "$work/$1"; printf 'module %swrap\ngo 1.26.0\n%s\n' "$1" "${2:-}" >"$work/$1/go.mod"; }

build_pulumi() {
  fresh pulumi "$PULUMI_VERSION" && return
  wrap pulumi
  (cd "$work/pulumi" && go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$PULUMI_VERSION" &&
    go build -tags osusergo,grpcnotrace \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      -o "$out/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  stamp pulumi "$PULUMI_VERSION"
}

build_kubernetes_provider() {
  fresh pulumi-resource-kubernetes "$K8S_PROVIDER_PSEUDO" && return
  local src dir="$work/k8s-provider"
  src=$(go mod download -json "$K8S_PROVIDER_MODULE@$K8S_PROVIDER_PSEUDO" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  rm -rf "$dir" && cp -r "$src" "$dir" && chmod -R u+w "$dir"
  (cd "$dir" && go mod edit -dropreplace github.com/pulumi/pulumi-kubernetes/sdk/v4 &&
    go get "github.com/pulumi/pulumi-kubernetes/sdk/v4@$K8S_PROVIDER_SDK" &&
    # The embedded schema is generated (gitignored upstream), so the module zip lacks it.
    (cd cmd/pulumi-resource-kubernetes && VERSION=4.25.0-alpha go run generate.go) &&
    go build -ldflags "-s -w -X $K8S_PROVIDER_MODULE/pkg/version.Version=4.25.0-alpha" \
      -o "$out/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes)
  stamp pulumi-resource-kubernetes "$K8S_PROVIDER_PSEUDO"
}

build_etcd() {
  fresh etcd "$ETCD_VERSION" && return
  wrap etcd
  (cd "$work/etcd" && go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION" &&
    go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3)
  stamp etcd "$ETCD_VERSION"
}

build_kubernetes() {
  fresh kubernetes "$K8S_VERSION" && return
  # k8s.io/kubernetes replaces its staging modules with local paths; point them at the tagged releases.
  local m replaces="" ld="" v minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  for m in api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider \
    cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api \
    cri-client cri-streaming csi-translation-lib dynamic-resource-allocation endpointslice externaljwt \
    kms kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics \
    mount-utils pod-security-admission sample-apiserver streaming; do
    replaces+="replace k8s.io/$m => k8s.io/$m $K8S_STAGING_VERSION"$'\n'
  done
  for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean"
  done
  wrap kubernetes "$replaces"
  local cmds=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
  local tools=("${cmds[@]/#/k8s.io/kubernetes/cmd/}")
  (cd "$work/kubernetes" && go get -tool "${tools[@]/%/@$K8S_VERSION}" &&
   go build -trimpath -ldflags "-s -w $ld" -o "$out/" "${tools[@]}")
  stamp kubernetes "$K8S_VERSION"
}

build_kwok() {
  fresh kwok "$KWOK_VERSION" && return
  wrap kwok
  (cd "$work/kwok" && go get -tool "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" &&
    go build -trimpath -ldflags "-s -w" -o "$out/kwok" sigs.k8s.io/kwok/cmd/kwok)
  # KWOK's default stages (what kwokctl loads): node init and lease heartbeat, pod ready/complete/delete.
  local stages f
  stages=$(cd "$work/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/stage
  for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
    pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    echo "---"; cat "$stages/$f.yaml"
  done >"$out/kwok-stages.yaml"
  stamp kwok "$KWOK_VERSION"
}

pulumi_fresh() { fresh pulumi "$PULUMI_VERSION" && fresh pulumi-resource-kubernetes "$K8S_PROVIDER_PSEUDO"; }
cluster_fresh() { fresh etcd "$ETCD_VERSION" && fresh kubernetes "$K8S_VERSION" && fresh kwok "$KWOK_VERSION"; }
# Two streams side by side (setup.sh runs `pulumi` and `cluster` at once): module downloads of one overlap
# the compiles of the other.
case "${2:-all}" in
  # A check says only, by its exit status, whether everything it names is built.
  check) pulumi_fresh && cluster_fresh; exit ;;
  check-pulumi) pulumi_fresh; exit ;;
  check-cluster) cluster_fresh; exit ;;
  pulumi) build_pulumi; build_kubernetes_provider ;;
  cluster) build_etcd; build_kubernetes; build_kwok ;;
  all) build_pulumi; build_kubernetes_provider; build_etcd; build_kubernetes; build_kwok ;;
esac
echo "e2e tools ready in $out ($((SECONDS - t0)) s)"
