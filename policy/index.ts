import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./policies";

// Advisory by default (dev); config/prod.json makes every policy mandatory and switches on the prod rules.
new PolicyPack("microk8s-pipeline", {
  description: "The registry chapter's best practices: pinned images, probes, limits, non-root, secrets only in Secrets, registry auth in prod, no accidental exposure.",
  policies: allPolicies("advisory"),
});
