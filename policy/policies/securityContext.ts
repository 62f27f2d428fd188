import type { EnforcementLevel, ResourceValidationPolicy } from "@pulumi/policy";
import { NODE_ACCESS_ANNOTATION } from "../../lib/patterns";
import { containersOf, nodeAccessReason } from "../workloads";

/**
 * Not root, and no way to become root. A workload that needs root on the node (node trust writes a
 * root-owned folder) says why in the pod template's NODE_ACCESS_ANNOTATION; it still may not escalate.
 */
export function securityContext(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "security-context",
    description: `Every container runs with runAsNonRoot (pod or container), unless the pod template's ${NODE_ACCESS_ANNOTATION} annotation gives the reason, and allowPrivilegeEscalation: false.`,
    enforcementLevel,
    validateResource: (args, reportViolation) => {
      const rootAllowed = nodeAccessReason(args.type, args.props, NODE_ACCESS_ANNOTATION) !== undefined;
      for (const { label, container, pod } of containersOf(args.type, args.props)) {
        const nonRoot = container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
        if (nonRoot !== true && !rootAllowed) reportViolation(`${label} may run as root: set runAsNonRoot: true, or give the reason in the pod template's ${NODE_ACCESS_ANNOTATION} annotation`);
        if (container.securityContext?.allowPrivilegeEscalation !== false) {
          reportViolation(`${label} allows privilege escalation: set allowPrivilegeEscalation: false`);
        }
      }
    },
  };
}
