import type { EnforcementLevel, Policies } from "@pulumi/policy";
import { configMapNoCredentials } from "./configMapNoCredentials";
import { containerImagePinned } from "./containerImagePinned";
import { disruptionBudget } from "./disruptionBudget";
import { hostPathVolumes } from "./hostPathVolumes";
import { noSecretPlainEnv } from "./noSecretPlainEnv";
import { probesRequired } from "./probesRequired";
import { registryAuthInProd } from "./registryAuthInProd";
import { replicasSpread } from "./replicasSpread";
import { resourcesRequired } from "./resourcesRequired";
import { securityContext } from "./securityContext";
import { serviceExposure } from "./serviceExposure";

/** Every policy of the pack, at one enforcement level (the policy config file can raise it per stack). */
export function allPolicies(level: EnforcementLevel): Policies {
  return [
    containerImagePinned(level),
    probesRequired(level),
    resourcesRequired(level),
    securityContext(level),
    hostPathVolumes(level),
    noSecretPlainEnv(level),
    configMapNoCredentials(level),
    registryAuthInProd(level),
    serviceExposure(level),
    replicasSpread(level),
    disruptionBudget(level),
  ];
}
