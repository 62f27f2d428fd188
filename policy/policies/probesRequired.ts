import type { EnforcementLevel, ResourceValidationPolicy } from "@pulumi/policy";
import { podSpecOf, SERVING_KINDS } from "../workloads";

/** Every serving container says when it is alive and when it takes traffic. */
export function probesRequired(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "probes-required",
    description: "Every container of a Deployment, StatefulSet or DaemonSet has liveness and readiness probes.",
    enforcementLevel,
    validateResource: (args, reportViolation) => {
      if (!SERVING_KINDS.includes(args.type)) return;
      for (const c of podSpecOf(args.type, args.props)?.containers ?? []) {
        const missing = [c.livenessProbe ? undefined : "livenessProbe", c.readinessProbe ? undefined : "readinessProbe"].filter(Boolean);
        if (missing.length > 0) reportViolation(`container "${c.name}" has no ${missing.join(" and no ")}`);
      }
    },
  };
}
