import type { EnforcementLevel, ResourceValidationPolicy } from "@pulumi/policy";
import { HOSTNAME_TOPOLOGY } from "../../lib/k8sSpec";
import { REPLICATED_KINDS, replicasOf } from "../workloads";

/** Several replicas of one workload are spread over nodes, so one node's loss does not take them all. */
export function replicasSpread(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "replicas-spread",
    description: `A Deployment or StatefulSet with more than one replica spreads them over nodes (topologySpreadConstraints on ${HOSTNAME_TOPOLOGY}).`,
    enforcementLevel,
    validateResource: (args, reportViolation) => {
      if (!REPLICATED_KINDS.includes(args.type) || replicasOf(args.props) <= 1) return;
      const constraints: { topologyKey?: string }[] = args.props.spec?.template?.spec?.topologySpreadConstraints ?? [];
      if (constraints.some((c) => c.topologyKey === HOSTNAME_TOPOLOGY)) return;
      reportViolation(`${replicasOf(args.props)} replicas with no topologySpreadConstraints on ${HOSTNAME_TOPOLOGY}: they may all run on one node, and go with it`);
    },
  };
}
