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

pulumi cancel --yes "${flags[@]}" >/dev/null
# One line per pending Kubernetes create: URN, kubectl resource (Kind.version.group), namespace, name.
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

# A create the engine had not yet recorded when it was killed leaves an object the state does not know.
# Named here, never deleted: in the namespaces this stack manages, our objects that no resource of the state is.
pulumi stack export "${flags[@]}" | node -e '
  const d = JSON.parse(require("fs").readFileSync(0, "utf8")).deployment;
  const rs = d.resources ?? [];
  const known = new Set(rs.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.id));
  for (const ns of rs.filter((r) => r.type === "kubernetes:core/v1:Namespace").map((r) => r.id)) console.log(`${ns}\t${[...known].join(" ")}`);' |
  while IFS=$'\t' read -r namespace known; do
    for kind in deployments services secrets cronjobs serviceaccounts; do
      for name in $("$kubectl" get "$kind" -n "$namespace" -l app.kubernetes.io/part-of=microk8s-pipeline,app.kubernetes.io/managed-by=pulumi -o 'jsonpath={.items[*].metadata.name}' 2>/dev/null); do
        case " $known " in *" $namespace/$name "*) ;; *) echo "recover: $kind $namespace/$name is not in the state (created as the update was killed): remove it with: kubectl -n $namespace delete $kind $name" ;; esac
      done
    done
  done
echo "recover: $stack has no pending operation left; run the deploy again"
