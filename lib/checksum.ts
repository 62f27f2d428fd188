import * as pulumi from "@pulumi/pulumi";
import { createHmac } from "crypto";

/**
 * A pod-template annotation value that changes when any of the secret `values` changes, so the pods
 * (which read env and mounted files only at start) roll. An HMAC keyed by a generated secret: a plain hash
 * of a short secret could be reversed offline by anyone who can read Deployments; without the key this
 * reveals nothing, so it is not itself a secret.
 */
export function secretsChecksum(key: pulumi.Input<string>, values: pulumi.Input<string>[]): pulumi.Output<string> {
  return pulumi.unsecret(
    pulumi.all([key, ...values]).apply(([k, ...parts]) => createHmac("sha256", k).update(parts.join("\0")).digest("hex")),
  );
}
