import type { EnforcementLevel, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { REPLICATED_KINDS, replicasOf } from "../workloads";

const PDB = "kubernetes:policy/v1:PodDisruptionBudget";

/** The PDB's matchLabels are all among the pod labels (a matchExpressions selector is not read here). */
const selects = (budget: PolicyResource, podLabels: Record<string, string>) => {
  const wanted: Record<string, string> = budget.props.spec?.selector?.matchLabels ?? {};
  return Object.keys(wanted).length > 0 && Object.entries(wanted).every(([k, v]) => podLabels[k] === v);
};

/** Namespaces that are not known yet (a preview of a new namespace) match any. */
const sameNamespace = (a: PolicyResource, b: PolicyResource) => {
  const [x, y] = [a.props.metadata?.namespace, b.props.metadata?.namespace];
  return typeof x !== "string" || typeof y !== "string" || x === y;
};

/** Several replicas have a PodDisruptionBudget, so a drain takes one at a time and service goes on. */
export function disruptionBudget(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "disruption-budget",
    description: "A Deployment or StatefulSet with more than one replica has a PodDisruptionBudget that selects its pods.",
    enforcementLevel,
    validateStack: (args, reportViolation) => {
      const budgets = args.resources.filter((r) => r.type === PDB);
      for (const workload of args.resources.filter((r) => REPLICATED_KINDS.includes(r.type) && replicasOf(r.props) > 1)) {
        const podLabels = workload.props.spec?.template?.metadata?.labels ?? {};
        if (budgets.some((b) => sameNamespace(b, workload) && selects(b, podLabels))) continue;
        reportViolation(`${replicasOf(workload.props)} replicas and no PodDisruptionBudget selects their pods: a drain may evict them all at once`, workload.urn);
      }
    },
  };
}
