import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";

/**
 * A SHA-256 over secret values, for a pod-template annotation that rolls the pods when a credential
 * changes (env and mounted files are read at start). The digest reveals nothing, so it is not secret.
 */
export function secretsChecksum(values: pulumi.Input<string>[]): pulumi.Output<string> {
  return pulumi.unsecret(pulumi.all(values).apply((parts) => createHash("sha256").update(parts.join("\0")).digest("hex")));
}
