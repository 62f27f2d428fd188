/**
 * What the GC accounts may change on the registry Deployment, as ValidatingAdmissionPolicy CEL: the GC
 * switch (a pod-template annotation, to one of its two values) and the window's lease annotation, nothing
 * else. RBAC alone lets a `patch` change anything in the Deployment: the image, the command, a volume,
 * and so read every Secret the registry mounts, from a third-party kubectl image.
 */
import { LEASE_ANNOTATION, READONLY_ANNOTATION, READONLY_VALUE, WRITABLE_VALUE } from "./gcScript";
import { DNS_LABEL } from "./patterns";

export interface CelValidation {
  expression: string;
  message: string;
}

/** `path` (below object / oldObject) is unchanged: both absent, or both present and equal. */
const unchanged = (path: string) => `has(object.${path}) == has(oldObject.${path}) && (!has(object.${path}) || object.${path} == oldObject.${path})`;

/** The string map at `path` is unchanged but for `key`. */
const unchangedExcept = (path: string, key: string) =>
  [
    `(!has(object.${path}) || object.${path}.all(k, k == '${key}' || (has(oldObject.${path}) && k in oldObject.${path} && oldObject.${path}[k] == object.${path}[k])))`,
    `(!has(oldObject.${path}) || oldObject.${path}.all(k, k == '${key}' || (has(object.${path}) && k in object.${path})))`,
  ].join(" && ");

const DEPLOYMENT_SPEC_FIELDS = ["replicas", "selector", "strategy", "minReadySeconds", "revisionHistoryLimit", "paused", "progressDeadlineSeconds"];
const OBJECT_META_FIELDS = ["labels", "finalizers", "ownerReferences"];
const TEMPLATE_META_FIELDS = ["labels", "finalizers", "ownerReferences", "name", "generateName", "namespace"];

export function gcAdmissionValidations(): CelValidation[] {
  const switchValue = "object.spec.template.metadata.annotations";
  return [
    {
      expression: "object.spec.template.spec == oldObject.spec.template.spec",
      message: "the GC account may not change the registry's pod spec (image, command, env, volumes, account, ...): only its read-only switch annotation",
    },
    {
      expression: [...TEMPLATE_META_FIELDS.map((f) => unchanged(`spec.template.metadata.${f}`)), unchangedExcept("spec.template.metadata.annotations", READONLY_ANNOTATION)].join(" && "),
      message: `the GC account may change only the ${READONLY_ANNOTATION} annotation of the registry's pod template`,
    },
    {
      expression: `has(${switchValue}) && '${READONLY_ANNOTATION}' in ${switchValue} && ${switchValue}['${READONLY_ANNOTATION}'] in ['${READONLY_VALUE}', '${WRITABLE_VALUE}']`,
      message: `the GC switch ${READONLY_ANNOTATION} must stay set, to ${READONLY_VALUE} or ${WRITABLE_VALUE}`,
    },
    {
      expression: DEPLOYMENT_SPEC_FIELDS.map((f) => unchanged(`spec.${f}`)).join(" && "),
      message: "the GC account may not change the registry Deployment's replicas, selector or rollout settings",
    },
    {
      expression: [...OBJECT_META_FIELDS.map((f) => unchanged(`metadata.${f}`)), unchangedExcept("metadata.annotations", LEASE_ANNOTATION)].join(" && "),
      message: `the GC account may change only the ${LEASE_ANNOTATION} annotation of the registry Deployment`,
    },
    {
      expression: `!has(object.metadata.annotations) || !('${LEASE_ANNOTATION}' in object.metadata.annotations) || object.metadata.annotations['${LEASE_ANNOTATION}'].matches('^[0-9]{1,12}$')`,
      message: `the GC lease ${LEASE_ANNOTATION} must be a Unix time`,
    },
  ];
}

/** The policy applies to requests from these ServiceAccounts only (`namespace` / `names`, DNS labels). */
export function gcAccountsCondition(namespace: string, names: string[]): string {
  for (const name of [namespace, ...names]) {
    if (!DNS_LABEL.test(name)) throw new Error(`a GC account name must be a DNS label, got ${JSON.stringify(name)}`);
  }
  return `request.userInfo.username in [${names.map((n) => `'system:serviceaccount:${namespace}:${n}'`).join(", ")}]`;
}
