import type { EnforcementLevel, ResourceValidationPolicy } from "@pulumi/policy";
import { allContainers, podSpecOf } from "../workloads";

/** Not root, and no way to become root. */
export function securityContext(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "security-context",
    description: "Every container runs with runAsNonRoot (pod or container) and allowPrivilegeEscalation: false.",
    enforcementLevel,
    validateResource: (args, reportViolation) => {
      const spec = podSpecOf(args.type, args.props);
      if (!spec) return;
      for (const { label, container } of allContainers(spec)) {
        const nonRoot = container.securityContext?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
        if (nonRoot !== true) reportViolation(`${label} may run as root: set runAsNonRoot: true`);
        if (container.securityContext?.allowPrivilegeEscalation !== false) {
          reportViolation(`${label} allows privilege escalation: set allowPrivilegeEscalation: false`);
        }
      }
    },
  };
}
