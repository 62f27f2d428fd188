import type { EnforcementLevel, ResourceValidationPolicy } from "@pulumi/policy";
import { environmentSchema, isProd } from "../environment";
import { isDistributionImage } from "../../lib/imageRef";
import { podSpecOf } from "../workloads";


/** A prod registry without auth lets anyone on the network push what the cluster will run. */
export function registryAuthInProd(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "registry-auth-in-prod",
    description: "In prod, a Distribution registry Deployment has authentication configured (REGISTRY_AUTH).",
    enforcementLevel,
    configSchema: environmentSchema,
    validateResource: (args, reportViolation) => {
      if (args.type !== "kubernetes:apps/v1:Deployment" || !isProd(args)) return;
      for (const c of podSpecOf(args.type, args.props)?.containers ?? []) {
        if (!isDistributionImage(c.image ?? "")) continue;
        const auth = (c.env ?? []).find((e) => e.name === "REGISTRY_AUTH");
        if (!auth || (!auth.value && !auth.valueFrom)) {
          reportViolation(`container "${c.name}" runs the registry "${c.image}" without auth in prod: set REGISTRY_AUTH (htpasswd or token)`);
        }
      }
    },
  };
}
