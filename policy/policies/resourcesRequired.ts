import type { EnforcementLevel, ResourceValidationPolicy } from "@pulumi/policy";
import { allContainers, podSpecOf } from "../workloads";

/** Requests let the scheduler place the pod; limits keep one pod from starving the node. */
export function resourcesRequired(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "resources-required",
    description: "Every container has cpu and memory requests and limits.",
    enforcementLevel,
    validateResource: (args, reportViolation) => {
      const spec = podSpecOf(args.type, args.props);
      if (!spec) return;
      for (const { label, container } of allContainers(spec)) {
        const missing = (["requests", "limits"] as const).flatMap((kind) =>
          ["cpu", "memory"].filter((r) => container.resources?.[kind]?.[r] === undefined).map((r) => `${kind}.${r}`),
        );
        if (missing.length > 0) reportViolation(`${label} has no resources ${missing.join(", ")}`);
      }
    },
  };
}
