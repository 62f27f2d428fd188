import type { EnforcementLevel, ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf } from "../workloads";

/** Requests let the scheduler place the pod; limits keep one pod from starving the node. */
export function resourcesRequired(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "resources-required",
    description: "Every container has cpu and memory requests and limits.",
    enforcementLevel,
    validateResource: (args, reportViolation) => {
      for (const { label, container } of containersOf(args.type, args.props)) {
        const missing = (["requests", "limits"] as const).flatMap((kind) =>
          ["cpu", "memory"].filter((r) => container.resources?.[kind]?.[r] === undefined).map((r) => `${kind}.${r}`),
        );
        if (missing.length > 0) reportViolation(`${label} has no resources ${missing.join(", ")}`);
      }
    },
  };
}
