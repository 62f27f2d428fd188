import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { allPolicies } from "../policy/policies";
import type { Recorded } from "./harness";

export type PolicyEnvironment = "dev" | "prod";

/** Runs one policy's validations on one resource, as the policy runtime would, and returns its messages. */
export function violations(policy: ResourceValidationPolicy, type: string, props: Record<string, any>, environment: PolicyEnvironment = "dev"): string[] {
  const messages: string[] = [];
  const args = {
    type,
    props,
    name: props.metadata?.name ?? "fixture",
    urn: `urn:pulumi:test::microk8s-pipeline::${type}::fixture`,
    opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: {}, additionalSecretOutputs: [] },
    stackTags: new Map<string, string>(),
    getConfig: () => ({ environment }),
    isType: () => false,
    asType: () => undefined,
    notApplicable: () => undefined,
  } as unknown as ResourceValidationArgs;
  const validations = policy.validateResource === undefined ? [] : [policy.validateResource].flat();
  for (const validate of validations) validate(args, (message) => messages.push(message));
  return messages;
}

/** Every policy of the pack over every recorded resource: `policy: message (resource)` lines. */
export function packViolations(resources: Recorded[], environment: PolicyEnvironment): string[] {
  return allPolicies("mandatory").flatMap((policy) =>
    resources.filter((r) => r.custom).flatMap((r) => violations(policy, r.type, r.inputs, environment).map((m) => `${policy.name}: ${m} (${r.name})`)),
  );
}
