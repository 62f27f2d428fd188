import type { EnforcementLevel, ResourceValidationPolicy } from "@pulumi/policy";

import { EXPOSE_ANNOTATION, REGISTRY_NODE_PORT } from "../../lib/patterns";

export { EXPOSE_ANNOTATION, REGISTRY_NODE_PORT };

/** Nothing is exposed on the nodes or a load balancer by accident. */
export function serviceExposure(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "service-exposure",
    description: `LoadBalancer and NodePort Services need the annotation ${EXPOSE_ANNOTATION}: "true", except the registry's NodePort ${REGISTRY_NODE_PORT}.`,
    enforcementLevel,
    validateResource: (args, reportViolation) => {
      if (args.type !== "kubernetes:core/v1:Service") return;
      const type = args.props.spec?.type ?? "ClusterIP";
      if (type !== "NodePort" && type !== "LoadBalancer") return;
      if (args.props.metadata?.annotations?.[EXPOSE_ANNOTATION] === "true") return;
      const ports: { nodePort?: number }[] = args.props.spec?.ports ?? [];
      if (type === "NodePort" && ports.length > 0 && ports.every((p) => p.nodePort === REGISTRY_NODE_PORT)) return;
      reportViolation(`Service of type ${type} is reachable from outside the cluster: add the annotation ${EXPOSE_ANNOTATION}: "true" if that is intended`);
    },
  };
}
