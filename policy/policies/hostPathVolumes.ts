import type { EnforcementLevel, ResourceValidationPolicy } from "@pulumi/policy";
import { NODE_ACCESS_ANNOTATION } from "../../lib/patterns";
import { nodeAccessReason, podSpecOf } from "../workloads";

/** A hostPath reaches into the node: only a workload that says why, in its pod template's annotation. */
export function hostPathVolumes(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "host-path-volumes",
    description: `No hostPath volume, unless the pod template's ${NODE_ACCESS_ANNOTATION} annotation gives the reason.`,
    enforcementLevel,
    validateResource: (args, reportViolation) => {
      const pod = podSpecOf(args.type, args.props);
      if (!pod || nodeAccessReason(args.type, args.props, NODE_ACCESS_ANNOTATION) !== undefined) return;
      for (const volume of pod.volumes ?? []) {
        if (volume.hostPath) {
          reportViolation(`volume "${volume.name}" mounts the node's ${volume.hostPath.path ?? "folder"}: use another volume kind, or give the reason in the pod template's ${NODE_ACCESS_ANNOTATION} annotation`);
        }
      }
    },
  };
}
