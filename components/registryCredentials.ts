import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { dockerConfigJson } from "../lib/dockerConfig";
import { htpasswdEntry } from "../lib/htpasswd";

export interface RegistryCredentialsArgs {
  username: pulumi.Input<string>;
  /** From `pulumi config set --secret registryPassword`; a strong one is generated when absent. */
  password?: pulumi.Input<string>;
  /** The registry host the pull Secret authenticates to. */
  server: pulumi.Input<string>;
  /** Make the htpasswd line, for a registry that this program runs. */
  htpasswd?: boolean;
}

/**
 * The registry's user, its password and what is derived from it (the htpasswd line, the pull Secret
 * payload). Every derived value is a Pulumi secret; nothing here is passed to `super`.
 */
export class RegistryCredentials extends pulumi.ComponentResource {
  public readonly username: pulumi.Output<string>;
  public readonly password: pulumi.Output<string>;
  /** `user:$2b$...` with a salt that stays the same across runs for the same password. */
  public readonly htpasswd?: pulumi.Output<string>;
  /** `.dockerconfigjson` for `kubernetes.io/dockerconfigjson` pull Secrets. */
  public readonly dockerConfigJson: pulumi.Output<string>;

  constructor(name: string, args: RegistryCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:registry:RegistryCredentials", name, {}, opts);
    this.username = pulumi.output(args.username);
    this.password = pulumi.secret(
      args.password ?? new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this }).result,
    );
    if (args.htpasswd) {
      const saltSeed = new random.RandomPassword(`${name}-salt-seed`, { length: 32, special: false }, { parent: this }).result;
      this.htpasswd = pulumi.secret(
        pulumi.all([this.username, this.password, saltSeed]).apply(([user, password, seed]) => htpasswdEntry(user, password, seed)),
      );
    }
    this.dockerConfigJson = pulumi.secret(
      pulumi.all([args.server, this.username, this.password]).apply(([server, user, password]) => dockerConfigJson(server, user, password)),
    );
    this.registerOutputs({ username: this.username, password: this.password });
  }
}
