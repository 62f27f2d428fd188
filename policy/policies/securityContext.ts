import type { EnforcementLevel, ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf } from "../workloads";

/** Not root, and no way to become root. */
export function securityContext(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "security-context",
    description: "Every container runs with runAsNonRoot (pod or container) and allowPrivilegeEscalation: false.",
    enforcementLevel,
    validateResource: (args, reportViolation) => {
      for (const { label, container, pod } of containersOf(args.type, args.props)) {
        const nonRoot = container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
        if (nonRoot !== true) reportViolation(`${label} may run as root: set runAsNonRoot: true`);
        if (container.securityContext?.allowPrivilegeEscalation !== false) {
          reportViolation(`${label} allows privilege escalation: set allowPrivilegeEscalation: false`);
        }
      }
    },
  };
}
