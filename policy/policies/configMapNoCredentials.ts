import type { EnforcementLevel, ResourceValidationPolicy } from "@pulumi/policy";

const CREDENTIAL_KEY = /(access_?key|secret_?key|password|passwd|secret|token|private_?key|credential)/i;
const CREDENTIAL_VALUE: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a private key"],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, "an AWS access key id"],
  [/^\s*(accesskey|secretkey|password|passwd|secret|token)\s*[:=]\s*\S+/im, "a credential setting"],
];

/** ConfigMaps are not secret: the document's S3 keys in a ConfigMap are exactly what this stops. */
export function configMapNoCredentials(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "configmap-no-credentials",
    description: "No ConfigMap carries credential-shaped keys or values (access or secret keys, passwords, private keys).",
    enforcementLevel,
    validateResource: (args, reportViolation) => {
      if (args.type !== "kubernetes:core/v1:ConfigMap") return;
      for (const [key, value] of Object.entries({ ...(args.props.data ?? {}), ...(args.props.binaryData ?? {}) })) {
        if (CREDENTIAL_KEY.test(key)) reportViolation(`ConfigMap key "${key}" looks like a credential: put it in a Secret`);
        for (const [pattern, what] of CREDENTIAL_VALUE) {
          if (typeof value === "string" && pattern.test(value)) reportViolation(`ConfigMap key "${key}" holds ${what}: put it in a Secret`);
        }
      }
    },
  };
}
