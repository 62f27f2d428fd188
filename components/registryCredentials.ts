import * as pulumi from "@pulumi/pulumi";
import { dockerConfigJson } from "../lib/dockerConfig";
import { htpasswdEntry } from "../lib/htpasswd";
import { givenOrGenerated } from "./secretValue";

export interface RegistryCredentialsArgs {
  /** The user that pushes (and, for registry-prune and the UI, deletes). */
  username: pulumi.Input<string>;
  /** From `pulumi config set --secret registryPassword`; a strong one is generated when absent. */
  password?: pulumi.Input<string>;
  /** The registry host the Docker configs authenticate to. */
  server: pulumi.Input<string>;
  /**
   * For a registry this program runs: make the htpasswd file, with a second user that the pull Secrets in
   * app namespaces carry, so a leaked pull Secret can be rotated on its own without touching CI's push
   * credential. (Distribution's htpasswd auth has no per-user rights: see the README's security model.)
   */
  htpasswd?: { pullUsername: string; pullPassword?: pulumi.Input<string> };
  /** For an external registry: the read-only user (and its password) the pull Secrets carry. */
  pull?: { username: pulumi.Input<string>; password: pulumi.Input<string> };
}

/**
 * The registry's users, their passwords and what is derived from them (the htpasswd file, the Docker
 * configs). Every derived value is a Pulumi secret; nothing here is passed to `super`.
 */
export class RegistryCredentials extends pulumi.ComponentResource {
  public readonly username: pulumi.Output<string>;
  public readonly password: pulumi.Output<string>;
  /** `user:$2b$...` lines with salts that stay the same across runs for the same passwords. */
  public readonly htpasswd?: pulumi.Output<string>;
  /** `.dockerconfigjson` with the push user, for steps that write to the registry (signing). */
  public readonly pushDockerConfigJson: pulumi.Output<string>;
  /** `.dockerconfigjson` for the `kubernetes.io/dockerconfigjson` pull Secrets: the pull user, but in dev external mode without one. */
  public readonly pullDockerConfigJson: pulumi.Output<string>;

  constructor(name: string, args: RegistryCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:registry:RegistryCredentials", name, {}, opts);
    this.username = pulumi.output(args.username);
    this.password = givenOrGenerated(`${name}-password`, args.password, this);
    const config = (user: pulumi.Input<string>, password: pulumi.Input<string>) =>
      pulumi.secret(pulumi.all([args.server, user, password]).apply(([server, u, p]) => dockerConfigJson(server, u, p)));
    this.pushDockerConfigJson = config(this.username, this.password);

    if (args.htpasswd) {
      const pullPassword = givenOrGenerated(`${name}-pull-password`, args.htpasswd.pullPassword, this);
      const saltSeed = givenOrGenerated(`${name}-salt-seed`, undefined, this);
      this.htpasswd = pulumi.secret(
        pulumi
          .all([this.username, this.password, args.htpasswd.pullUsername, pullPassword, saltSeed])
          .apply(([user, password, pullUser, pullPass, seed]) => htpasswdEntry(user, password, seed) + htpasswdEntry(pullUser, pullPass, seed)),
      );
      this.pullDockerConfigJson = config(args.htpasswd.pullUsername, pullPassword);
    } else if (args.pull) {
      this.pullDockerConfigJson = config(args.pull.username, args.pull.password);
    } else {
      // Only a dev external registry without registry.pullUsername: config refuses it in prod.
      this.pullDockerConfigJson = this.pushDockerConfigJson;
    }
    this.registerOutputs({ username: this.username, password: this.password });
  }
}
