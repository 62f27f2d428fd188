import { z } from "zod";
import { DNS_LABEL, IMAGE_REF } from "../lib/patterns";

/** Zod types both schemas use. */
export const dnsLabel = z.string().regex(DNS_LABEL, { error: "must be a DNS label: lower-case letters, digits and '-', at most 63" });

export const imageReference = (example: string) => z.string().regex(IMAGE_REF, { error: `must be an image reference such as ${example}` });
