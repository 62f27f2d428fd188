#!/usr/bin/env bash
# After a killed `pulumi up` (SIGKILL, a lost terminal, a CI timeout), with the file backend: removes the
# dead process's lock, adopts each Kubernetes object the kill left half-created (its create was in flight:
# the object exists, the state has it only as a pending create; dropping it would let the next up create a
# second one under a new generated name), and drops the other pending creates, which the next up makes
# again. Then run the deploy again.
#   scripts/recover.sh STACK
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${1:-}"
[ -n "$stack" ] && [ -f "Pulumi.$stack.yaml" ] || { echo "recover: name a stack that has a Pulumi.<stack>.yaml here" >&2; exit 2; }
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"
kubectl=${KUBECTL:-kubectl}
flags=(--stack "$stack" --non-interactive)
# shellcheck source=lib/stack-label.sh
. scripts/lib/stack-label.sh

pulumi cancel --yes "${flags[@]}" >/dev/null
# One line per pending Kubernetes create: URN, kubectl resource (Kind.version.group), namespace, name.
# shellcheck disable=SC2016 # JavaScript for node -e: its ${...} are its own template strings
pending=$(pulumi stack export "${flags[@]}" | node -e '
  const d = JSON.parse(require("fs").readFileSync(0, "utf8")).deployment;
  for (const op of d.pending_operations ?? []) {
    const r = op.resource;
    const m = /^kubernetes:(?:core\/)?([^:]+):(\w+)$/.exec(r.type);
    if (op.type !== "creating" || !m || !r.inputs?.metadata?.name) continue;
    const [group, version] = m[1].includes("/") ? m[1].split("/") : ["", m[1]];
    const resource = group ? `${m[2]}.${version}.${group}` : m[2];
    console.log([r.urn, resource, r.inputs.metadata.namespace ?? "", r.inputs.metadata.name].join("\t"));
  }')
imports=()
while IFS=$'\t' read -r urn resource namespace name; do
  [ -n "$urn" ] || continue
  if "$kubectl" get "$resource" "$name" ${namespace:+-n "$namespace"} >/dev/null 2>&1; then
    echo "recover: adopting $resource ${namespace:+$namespace/}$name, created before the kill"
    imports+=(--import-pending-creates "$urn" --import-pending-creates "${namespace:+$namespace/}$name")
  fi
done <<<"$pending"
if [ "${#imports[@]}" -gt 0 ]; then
  pulumi refresh --yes --skip-preview "${flags[@]}" "${imports[@]}"
fi
pulumi refresh --yes --skip-preview "${flags[@]}" --clear-pending-creates

# A create the engine had not yet recorded when it was killed leaves an object the state does not know, which
# the next up would not adopt (it makes its own, under a new generated name). Only objects that carry this
# stack's label are considered. Stateless ones are deleted; a claim or a namespace (they may hold images,
# and the program retains them on delete) is only named, with the command that would remove it.
known=$(pulumi stack export "${flags[@]}" | node -e '
  const d = JSON.parse(require("fs").readFileSync(0, "utf8")).deployment;
  for (const r of d.resources ?? []) if (r.type.startsWith("kubernetes:") && r.id) console.log(r.id);')
selector="microk8s-pipeline/stack=$(stack_label_value "$stack"),app.kubernetes.io/managed-by=pulumi"
in_state() { grep -qxF -- "$1" <<<"$known"; }
# One id per object of KIND, as the state writes it ("namespace/name" with SCOPE namespaced, across every
# namespace; "name" with SCOPE cluster); a failed listing stops the script (set -e), it is never taken for none.
ids() {
  if [ "$2" = namespaced ]; then
    "$kubectl" get "$1" -A -l "$selector" -o 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{"\n"}{end}'
  else
    "$kubectl" get "$1" -l "$selector" -o 'jsonpath={range .items[*]}{.metadata.name}{"\n"}{end}'
  fi
}
# Deletes each object of KIND (in SCOPE) that carries this stack's label and that the state does not hold.
delete_orphans() {
  local kind=$1 listed id
  listed=$(ids "$kind" "$2")
  for id in $listed; do
    in_state "$id" && continue
    echo "recover: deleting $kind $id: this stack made it as the update was killed, and the state does not hold it"
    if [[ $id == */* ]]; then
      "$kubectl" delete "$kind" "${id#*/}" -n "${id%%/*}" --wait=false >/dev/null
    else
      "$kubectl" delete "$kind" "$id" --wait=false >/dev/null
    fi
  done
}
# Names each such object of KIND, which may hold images, with the command that would remove it.
keep_orphans() {
  local kind=$1 listed id remove
  listed=$(ids "$kind" "$2")
  for id in $listed; do
    in_state "$id" && continue
    if [[ $id == */* ]]; then remove="kubectl -n ${id%%/*} delete $kind ${id#*/}"; else remove="kubectl delete $kind $id"; fi
    echo "recover: kept $kind $id, which the state does not hold (it may hold images): once you know it holds none, remove it with: $remove"
  done
}
for kind in deployments.apps daemonsets.apps services secrets configmaps cronjobs.batch serviceaccounts networkpolicies.networking.k8s.io poddisruptionbudgets.policy roles.rbac.authorization.k8s.io rolebindings.rbac.authorization.k8s.io; do
  delete_orphans "$kind" namespaced
done
keep_orphans persistentvolumeclaims namespaced
for kind in validatingadmissionpolicybindings.admissionregistration.k8s.io validatingadmissionpolicies.admissionregistration.k8s.io; do
  delete_orphans "$kind" cluster
done
keep_orphans namespaces cluster
echo "recover: $stack has no pending operation left; run the deploy again"
