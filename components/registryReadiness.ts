import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { shellCommand } from "../lib/shellCommand";
import { basicAuthorization, waitForRegistryScript } from "../lib/waitScript";

export interface RegistryReadinessArgs {
  /** `http(s)://host[:port]` as Docker on this machine reaches it. */
  url: string;
  /** Bounded: a registry that never answers fails the update with `hint`. */
  readiness: { attempts: number; intervalSeconds: number };
  hint: string;
  /** With credentials the check waits for a 200 with them, so a rotated password is live before any push. */
  credentials?: { username: pulumi.Input<string>; password: pulumi.Input<string> };
  /** A private CA's PEM: the check verifies the registry's certificate against it. */
  ca?: pulumi.Input<string>;
  /** Changes that re-run the check (a new image, new credentials). */
  triggers?: pulumi.Input<string>[];
}

/**
 * The wait for `/v2/` that pushes depend on, run where `pulumi up` runs (a `local.Command`, re-run when a
 * trigger changes). The credentials reach the script only through its environment, as a Pulumi secret.
 */
export function registryReadiness(name: string, args: RegistryReadinessArgs, opts: pulumi.CustomResourceOptions): command.local.Command {
  const script = waitForRegistryScript(args.url, args.readiness.attempts, args.readiness.intervalSeconds, args.hint, { authenticated: args.credentials !== undefined });
  const credentials = args.credentials;
  return shellCommand(
    name,
    {
      script,
      triggers: args.triggers,
      environment:
        credentials || args.ca
          ? {
              ...(credentials ? { REGISTRY_AUTHORIZATION: pulumi.secret(pulumi.all([credentials.username, credentials.password]).apply(([u, p]) => basicAuthorization(u, p))) } : {}),
              ...(args.ca ? { REGISTRY_CA: args.ca } : {}),
            }
          : undefined,
    },
    opts,
  );
}
