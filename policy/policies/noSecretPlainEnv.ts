import type { EnforcementLevel, ResourceValidationPolicy } from "@pulumi/policy";
import { looksLikeCredential } from "../../lib/secretNames";
import { containersOf } from "../workloads";

/** A credential in a plain env value sits in the Deployment spec, readable by anyone who can read it. */
export function noSecretPlainEnv(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "no-secret-plain-env",
    description: "Env vars named like credentials (PASSWORD, SECRET, TOKEN, API_KEY, ACCESS_KEY...) come from secretKeyRef.",
    enforcementLevel,
    validateResource: (args, reportViolation) => {
      for (const { label, container } of containersOf(args.type, args.props)) {
        for (const env of container.env ?? []) {
          if (looksLikeCredential(env.name) && !env.valueFrom?.secretKeyRef) {
            reportViolation(`${label} sets ${env.name} as a plain value: read it from a Secret with valueFrom.secretKeyRef`);
          }
        }
      }
    },
  };
}
