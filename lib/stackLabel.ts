import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";

/**
 * The label that says which stack made a Kubernetes object. A killed `pulumi up` can leave an object whose
 * create the engine never recorded; `scripts/recover.sh` deletes only objects that carry this stack's
 * value and that the state does not hold, so it never touches another stack's objects.
 */
export const STACK_LABEL = "microk8s-pipeline/stack";

const LABEL_VALUE = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;

/** The stack name when it is a valid label value (most are); else a stable hash of it (`s-<40 hex>`). */
export function stackLabelValue(stack: string): string {
  if (LABEL_VALUE.test(stack)) return stack;
  return `s-${createHash("sha256").update(stack).digest("hex").slice(0, 40)}`;
}

type Labels = Record<string, pulumi.Input<string>>;
type Metadata = { labels?: pulumi.Input<Labels> } & Record<string, unknown>;

/** `metadata` with the stack label added to its labels, whether metadata and labels are plain or Outputs. */
function withStackLabel(metadata: pulumi.Input<Metadata> | undefined, value: string): pulumi.Input<Metadata> {
  const add = (m: Metadata | undefined): Metadata => {
    const labels = m?.labels;
    const merged = pulumi.Output.isInstance(labels)
      ? labels.apply((l) => ({ ...(l ?? {}), [STACK_LABEL]: value }))
      : { ...((labels as Labels | undefined) ?? {}), [STACK_LABEL]: value };
    return { ...(m ?? {}), labels: merged };
  };
  return pulumi.Output.isInstance(metadata) ? metadata.apply(add) : add(metadata as Metadata | undefined);
}

/**
 * A stack transformation that labels every Kubernetes object's own metadata with the stack. Pod templates
 * are left alone, so adding it rolls no workload.
 */
export function labelKubernetesObjects(stack: string): pulumi.ResourceTransformation {
  const value = stackLabelValue(stack);
  return (args) => {
    // `kubernetes:` types are the objects; the provider itself is `pulumi:providers:kubernetes`.
    if (!args.type.startsWith("kubernetes:")) return undefined;
    return { props: { ...args.props, metadata: withStackLabel(args.props.metadata, value) }, opts: args.opts };
  };
}
