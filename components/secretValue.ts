import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** How a generated value looks; the defaults suit passwords that pass through URLs, env and htpasswd. */
export interface GeneratedShape {
  length?: number;
  /** S3 access keys are upper-case letters and digits. */
  lower?: boolean;
}

/**
 * A secret value: the one given (from secret config), or one generated once and kept. Generated values come
 * from `random.RandomPassword`, whose result the state keeps encrypted (a RandomString would keep it in
 * plain text, as its id). Either way the result is a Pulumi secret. The generator is a child of `parent`,
 * named `name`, so a component's secrets sit under it.
 */
export function givenOrGenerated(name: string, given: pulumi.Input<string> | undefined, parent: pulumi.Resource, shape: GeneratedShape = {}): pulumi.Output<string> {
  if (given !== undefined) return pulumi.secret(given);
  const generated = new random.RandomPassword(name, { length: shape.length ?? 32, special: false, ...(shape.lower === false ? { lower: false } : {}) }, { parent });
  return pulumi.secret(generated.result);
}
