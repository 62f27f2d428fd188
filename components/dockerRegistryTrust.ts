import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { dockerTrustScript } from "../lib/dockerTrustScript";
import { shellCommand } from "../lib/shellCommand";

export interface DockerRegistryTrustArgs {
  /** `host[:port]` as image names carry it. */
  host: string;
  /** The CA's PEM (not secret). */
  ca: pulumi.Input<string>;
  /** Where the Docker daemon reads registry CAs. */
  certsDir: string;
}

/**
 * The Docker daemon on the machine running `pulumi up` trusts the registry's CA before anything is pushed:
 * a local command writes `<certsDir>/<host>/ca.crt`, again whenever the CA or the host changes. It leaves
 * the file on destroy: a CA certificate is public, and another stack may push to the same host.
 */
export class DockerRegistryTrust extends pulumi.ComponentResource {
  public readonly installed: command.local.Command;

  constructor(name: string, args: DockerRegistryTrustArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:registry:DockerRegistryTrust", name, {}, opts);
    const script = dockerTrustScript();
    this.installed = shellCommand(
      `${name}`,
      {
        script,
        triggers: [args.ca, args.host, args.certsDir],
        environment: { REGISTRY_CA: args.ca, REGISTRY_HOST: args.host, DOCKER_CERTS_DIR: args.certsDir, STAGED_CA_NAME: `${pulumi.getProject()}-${pulumi.getStack()}-registry-ca.crt` },
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
