import { z } from "zod";
import { DNS_LABEL, IMAGE_REF } from "../lib/patterns";

/** Zod types both schemas use. */
export const dnsLabel = z.string().regex(DNS_LABEL, { error: "must be a DNS label: lower-case letters, digits and '-', at most 63" });

export const imageReference = (example: string) => z.string().regex(IMAGE_REF, { error: `must be an image reference such as ${example}` });

/** Namespaces Kubernetes runs itself: the program never creates, labels or deletes them. */
export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;

export const namespaceName = dnsLabel.refine((v) => !(SYSTEM_NAMESPACES as readonly string[]).includes(v), {
  error: `must not be a namespace Kubernetes runs itself (${SYSTEM_NAMESPACES.join(", ")})`,
});

/** A Kubernetes label value: at most 63 of [A-Za-z0-9_.-], starting and ending alphanumeric. */
export const labelValue = (what: string) =>
  z
    .string()
    .max(63, { error: `must fit a Kubernetes label value (at most 63 characters), as the ${what} label carries it` })
    .regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/, {
      error: `must fit a Kubernetes label value ([A-Za-z0-9_.-], starting and ending alphanumeric; no '+'), as the ${what} label carries it`,
    });
