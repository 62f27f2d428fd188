#!/usr/bin/env bash
# A real Kubernetes control plane on 127.0.0.1 for the e2e suite: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, and KWOK as the kubelet (pods go Running and Ready with fake
# IPs; no container runs, so the e2e harness runs the pods that matter itself, on loopback).
#   control-plane.sh up TOOLS_DIR STATE_DIR    start; writes STATE_DIR/kubeconfig
#   control-plane.sh down STATE_DIR            stop what `up` started (by recorded PID)
# TOOLS_DIR holds the binaries that build-e2e-tools.sh builds.
set -euo pipefail

API_PORT=${E2E_API_PORT:-16443}
ETCD_PORT=${E2E_ETCD_PORT:-12379}
ETCD_PEER_PORT=${E2E_ETCD_PEER_PORT:-12380}
KCM_PORT=${E2E_KCM_PORT:-10357}
SCHED_PORT=${E2E_SCHED_PORT:-10359}
# Virtual ranges the apiserver and KWOK write into objects; nothing ever connects to them.
SERVICE_CIDR=10.96.0.0/16
POD_CIDR=10.244.0.0/24

log() { echo "[control-plane] $*" >&2; }

wait_for() {  # wait_for WHAT CMD...: up to 60 s
  local what=$1 _; shift
  for _ in $(seq 120); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  log "timed out waiting for $what; logs in $STATE/*.log"
  return 1
}

start() {  # start NAME CMD...: in the background, logging to STATE/NAME.log, PID recorded
  local name=$1; shift
  setsid "$@" >"$STATE/$name.log" 2>&1 &
  echo "$! $name" >>"$STATE/pids"
}

make_certs() {
  local p=$STATE/pki
  mkdir -p "$p" && cd "$p"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=e2e-ca -keyout ca.key -out ca.crt
  sign() {  # sign NAME SUBJECT EXTENSIONS
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.key" -out "$1.csr"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile <(printf '%b' "$3") -out "$1.crt"
  }
  sign apiserver /CN=kube-apiserver "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc"
  sign admin "/O=system:masters/CN=admin" "extendedKeyUsage=clientAuth"
  openssl genrsa -out sa.key 2048 && openssl rsa -in sa.key -pubout -out sa.pub
  cd - >/dev/null
}

NODES=(e2e-node e2e-node-2)

cluster_objects() {  # two nodes for KWOK, a default StorageClass and PVs (there is no volume provisioner)
  local node
  for node in "${NODES[@]}"; do
    printf -- '---\napiVersion: v1\nkind: Node\nmetadata:\n  name: %s\n  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}\n  labels: {kubernetes.io/hostname: %s, kubernetes.io/os: linux, kubernetes.io/arch: amd64}\n' "$node" "$node"
  done
  cat <<'EOF'
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: standard, annotations: {storageclass.kubernetes.io/is-default-class: "true"}}
provisioner: kubernetes.io/no-provisioner
EOF
  local i
  for i in $(seq 8); do
    printf -- '---\napiVersion: v1\nkind: PersistentVolume\nmetadata: {name: e2e-pv%s}\nspec: {storageClassName: standard, capacity: {storage: 50Gi}, hostPath: {path: /nonexistent/e2e-pv%s}, accessModes: [ReadWriteOnce, ReadWriteMany]}\n' "$i" "$i"
  done
}

cmd_up() {
  local bin; bin=$(cd "$1" && pwd); STATE=$(mkdir -p "$2" && cd "$2" && pwd)
  [ -s "$STATE/pids" ] && { log "$STATE/pids exists: run '$0 down $STATE' first"; exit 1; }
  local port
  for port in "$API_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT" "$KCM_PORT" "$SCHED_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then log "127.0.0.1:$port is in use"; exit 1; fi
  done
  [ -f "$STATE/pki/sa.pub" ] || make_certs >"$STATE/openssl.log" 2>&1 || { log "openssl failed: $STATE/openssl.log"; exit 1; }
  local p=$STATE/pki kc=$STATE/kubeconfig
  cat >"$kc" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: e2e, cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority-data: $(base64 -w0 "$p/ca.crt")}}]
users: [{name: admin, user: {client-certificate-data: $(base64 -w0 "$p/admin.crt"), client-key-data: $(base64 -w0 "$p/admin.key")}}]
contexts: [{name: e2e, context: {cluster: e2e, user: admin}}]
current-context: e2e
EOF
  trap 'log "start failed"; cmd_down "$STATE"; exit 1' ERR
  start etcd "$bin/etcd" --name e2e --data-dir "$STATE/etcd" --unsafe-no-fsync --listen-metrics-urls "" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "e2e=http://127.0.0.1:$ETCD_PEER_PORT"
  wait_for etcd curl -sf "http://127.0.0.1:$ETCD_PORT/health"
  start kube-apiserver "$bin/kube-apiserver" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
    --secure-port="$API_PORT" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --tls-cert-file="$p/apiserver.crt" --tls-private-key-file="$p/apiserver.key" --client-ca-file="$p/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$p/sa.pub" \
    --service-account-signing-key-file="$p/sa.key" --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=RBAC --endpoint-reconciler-type=none
  wait_for kube-apiserver curl -sf --cacert "$p/ca.crt" --cert "$p/admin.crt" --key "$p/admin.key" "https://127.0.0.1:$API_PORT/readyz"
  local common=(--kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" --bind-address=127.0.0.1 --leader-elect=false)
  # A starved CPU renews the node lease late: a short grace period would mark the pods NotReady for good.
  start kube-controller-manager "$bin/kube-controller-manager" "${common[@]}" --secure-port="$KCM_PORT" --cert-dir="$p/kcm" \
    --service-account-private-key-file="$p/sa.key" --root-ca-file="$p/ca.crt" --node-monitor-grace-period=2m \
    --cluster-signing-cert-file="$p/ca.crt" --cluster-signing-key-file="$p/ca.key"
  start kube-scheduler "$bin/kube-scheduler" "${common[@]}" --secure-port="$SCHED_PORT" --cert-dir="$p/scheduler"
  # Without a lease duration, KWOK's pods turn NotReady after about 50 s and never come back.
  start kwok "$bin/kwok" --kubeconfig="$kc" --config="$bin/kwok-stages.yaml" --manage-all-nodes=true \
    --node-lease-duration-seconds=40 --node-ip=127.0.0.1 --cidr="$POD_CIDR"
  local k=("$bin/kubectl" --kubeconfig="$kc")
  cluster_objects | "${k[@]}" apply -f - >/dev/null
  for node in "${NODES[@]}"; do wait_for "node $node Ready" "${k[@]}" wait --for=condition=Ready "node/$node" --timeout=1s; done
  wait_for "the default ServiceAccount" "${k[@]}" -n default get serviceaccount default
  trap - ERR
  log "up: KUBECONFIG=$kc"
}

stop_pids() {
  (($#)) || return 0
  kill "$@" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$@" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$@" 2>/dev/null || true
}

cmd_down() {  # etcd last, so the others stop cleanly
  local state=$1 pid name others=() etcd=()
  [ -f "$state/pids" ] || return 0
  while read -r pid name; do
    [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == */"$name" ]] || continue
    if [ "$name" = etcd ]; then etcd+=("$pid"); else others+=("$pid"); fi
  done <"$state/pids"
  stop_pids "${others[@]}"
  stop_pids "${etcd[@]}"
  rm -f "$state/pids"
}

case "${1:-}" in
  up) cmd_up "${2:?tools dir}" "${3:?state dir}" ;;
  down) cmd_down "${2:?state dir}" ;;
  *) echo "usage: $0 up TOOLS_DIR STATE_DIR | down STATE_DIR" >&2; exit 2 ;;
esac
