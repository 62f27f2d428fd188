import * as pulumi from "@pulumi/pulumi";
import type { PruneImageBuild } from "../lib/pruneImage";
import { modeOf, type RegistrySettings } from "../modes";
import type { RegistrySecrets } from "../modes/shared";
import type { RegistryCredentials } from "./registryCredentials";
import { NodeRegistryTrust } from "./nodeRegistryTrust";


export interface PrivateRegistryArgs {
  settings: RegistrySettings;
  /** Secret config; each value stays a Pulumi secret and never reaches `super`. */
  secrets: RegistrySecrets;
  /** No earlier update recorded: generated credentials are new (see ManagedRegistryArgs.firstUpdate). */
  firstUpdate?: boolean;
  /** With a managed registry's retention on: how to build registry-prune's image. */
  pruneBuild?: PruneImageBuild;
}

/** What images and workloads need to know about the registry, whatever its mode. */
export interface RegistryAccess {
  /** host:port used in image names, for pushes and pulls. */
  host: pulumi.Output<string>;
  /** Present when the registry has auth: the push credentials and the pull Secrets' payload. */
  credentials?: RegistryCredentials;
  /** Depend on this before pushing: it resolves once the registry answers. */
  ready?: pulumi.Resource;
  /** Plain HTTP (the addon, the managed registry without TLS); an external registry is expected to have TLS. */
  insecure: boolean;
  /** The private CA (PEM) that clients verify the registry against, when the managed registry has TLS. */
  ca?: pulumi.Output<string>;
  /** `.dockerconfigjson` for the pull Secrets in app namespaces; absent for a registry without auth. */
  pullDockerConfigJson?: pulumi.Output<string>;
}

/**
 * The private registry in the mode `registry.mode` names (modes/: the MicroK8s addon for dev, a
 * self-managed Distribution registry for prod, or an existing registry), and node trust in any of them.
 */
export class PrivateRegistry extends pulumi.ComponentResource implements RegistryAccess {
  public readonly host: pulumi.Output<string>;
  public readonly credentials?: RegistryCredentials;
  public readonly ready?: pulumi.Resource;
  public readonly insecure: boolean;
  public readonly ca?: pulumi.Output<string>;
  public readonly pullDockerConfigJson?: pulumi.Output<string>;
  public readonly uiServiceName?: pulumi.Output<string>;
  public readonly generatedS3Credentials?: { accessKey: pulumi.Output<string>; secretKey: pulumi.Output<string> };
  /** The DaemonSet that makes every node's containerd trust the registry, with registry.nodeTrust on. */
  public readonly nodeTrust?: NodeRegistryTrust;

  constructor(name: string, args: PrivateRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:registry:PrivateRegistry", name, {}, opts);
    const s = args.settings;
    const child = { parent: this };
    const mode = modeOf(s);
    this.insecure = mode.insecure(s);
    const made = mode.create(name, s, { secrets: args.secrets, firstUpdate: args.firstUpdate, pruneBuild: args.pruneBuild }, this);
    this.host = made.host;
    this.credentials = made.credentials;
    this.ready = made.ready;
    this.ca = made.ca;
    this.uiServiceName = made.uiServiceName;
    this.generatedS3Credentials = made.generatedS3Credentials;
    this.pullDockerConfigJson = this.credentials?.pullDockerConfigJson;
    if (s.nodeTrust.enabled) {
      this.nodeTrust = new NodeRegistryTrust(
        `${name}-node-trust`,
        { host: mode.host(s), ca: this.ca, certsDir: s.nodeTrust.certsDir, image: s.nodeTrust.image, namespace: s.nodeTrust.namespace },
        child,
      );
    }
    this.registerOutputs({ host: this.host, uiServiceName: this.uiServiceName, ca: this.ca });
  }
}
