import type { ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { allPolicies } from "../policy/policies";
import type { Recorded } from "./harness";

export type PolicyEnvironment = "dev" | "prod";

const urnOf = (type: string, name: string) => `urn:pulumi:test::microk8s-pipeline::${type}::${name}`;

/** Runs one policy's validations on one resource, as the policy runtime would, and returns its messages. */
export function violations(policy: ResourceValidationPolicy, type: string, props: Record<string, any>, environment: PolicyEnvironment = "dev"): string[] {
  const messages: string[] = [];
  const args = {
    type,
    props,
    name: props.metadata?.name ?? "fixture",
    urn: urnOf(type, "fixture"),
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

/** A fixture resource as the stack policies see it; its name is the last part of its URN. */
export interface StackFixture {
  type: string;
  name: string;
  props: Record<string, any>;
}

/** Runs one stack policy over `resources`, as the policy runtime would: `message (name)` lines. */
export function stackViolations(policy: StackValidationPolicy, resources: StackFixture[], environment: PolicyEnvironment = "dev"): string[] {
  const messages: string[] = [];
  const policyResources = resources.map((r) => ({ type: r.type, props: r.props, name: r.name, urn: urnOf(r.type, r.name), opts: {}, dependencies: [], propertyDependencies: {}, isType: () => false, asType: () => undefined }));
  const args = { resources: policyResources, stackTags: new Map<string, string>(), getConfig: () => ({ environment }) } as unknown as StackValidationArgs;
  policy.validateStack(args, (message, urn) => messages.push(`${message} (${urn?.split("::").pop() ?? "stack"})`));
  return messages;
}

const isStackPolicy = (p: ResourceValidationPolicy | StackValidationPolicy): p is StackValidationPolicy => "validateStack" in p;

/** Every policy of the pack over every recorded resource: `policy: message (resource)` lines. */
export function packViolations(resources: Recorded[], environment: PolicyEnvironment): string[] {
  const custom = resources.filter((r) => r.custom);
  return allPolicies("mandatory").flatMap((policy) =>
    isStackPolicy(policy)
      ? stackViolations(policy, custom.map((r) => ({ type: r.type, name: r.name, props: r.inputs })), environment).map((m) => `${policy.name}: ${m}`)
      : custom.flatMap((r) => violations(policy, r.type, r.inputs, environment).map((m) => `${policy.name}: ${m} (${r.name})`)),
  );
}
