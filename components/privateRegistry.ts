import * as pulumi from "@pulumi/pulumi";
import { DOCKER_CERTS_DIR, managedRegistryHost, RegistrySettings } from "../config/registrySchema";
import type { PipelineSecrets } from "../config/load";
import { ManagedRegistry } from "./managedRegistry";
import type { PruneImageBuild } from "../lib/pruneImage";
import { MicroK8sRegistryAddon } from "./microk8sRegistryAddon";
import { RegistryCredentials } from "./registryCredentials";
import { registryReadiness } from "./registryReadiness";
import { DockerRegistryTrust } from "./dockerRegistryTrust";
import { NodeRegistryTrust } from "./nodeRegistryTrust";


export interface PrivateRegistryArgs {
  settings: RegistrySettings;
  /** Secret config; each value stays a Pulumi secret and never reaches `super`. */
  secrets: PipelineSecrets;
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
 * The private registry in one of three modes: the MicroK8s addon (dev), a self-managed Distribution
 * registry (prod), or an existing registry (no resources, only its host and credentials).
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

  constructor(name: string, args: PrivateRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:registry:PrivateRegistry", name, {}, opts);
    const s = args.settings;
    const secrets = args.secrets;
    const child = { parent: this };
    this.insecure = s.mode === "microk8s-addon" || (s.mode === "managed" && !s.tls.enabled);

    switch (s.mode) {
      case "microk8s-addon": {
        const ssh = s.ssh && secrets.sshPrivateKey ? { ...s.ssh, privateKey: secrets.sshPrivateKey } : undefined;
        const addon = new MicroK8sRegistryAddon(
          `${name}-addon`,
          { size: s.size, storageClass: s.storageClass, ssh, host: s.host, readiness: s.readiness, disableOnDestroy: s.disableOnDestroy },
          child,
        );
        this.host = addon.host;
        this.ready = addon.ready;
        break;
      }
      case "managed": {
        const host = managedRegistryHost(s);
        this.credentials = s.auth.enabled
          ? new RegistryCredentials(
              `${name}-credentials`,
              {
                username: s.auth.username,
                password: secrets.registryPassword,
                server: host,
                htpasswd: { pullUsername: s.auth.pullUsername, pullPassword: secrets.registryPullPassword },
              },
              child,
            )
          : undefined;
        const s3Credentials =
          secrets.s3AccessKey && secrets.s3SecretKey ? { accessKey: secrets.s3AccessKey, secretKey: secrets.s3SecretKey } : undefined;
        const managed = new ManagedRegistry(
          `${name}-managed`,
          {
            settings: s,
            htpasswd: this.credentials?.htpasswd,
            probeCredentials: this.credentials ? { username: this.credentials.username, password: this.credentials.password } : undefined,
            s3Credentials,
            tlsGiven:
              secrets.registryTlsCertificate && secrets.registryTlsKey && secrets.registryTlsCa
                ? { certificate: secrets.registryTlsCertificate, key: secrets.registryTlsKey, ca: secrets.registryTlsCa }
                : undefined,
            firstUpdate: args.firstUpdate,
            ...(args.pruneBuild ? { retention: { build: args.pruneBuild, pullDockerConfigJson: this.credentials?.pullDockerConfigJson } } : {}),
          },
          child,
        );
        this.host = managed.host;
        this.ready = managed.ready;
        this.uiServiceName = managed.uiServiceName;
        this.generatedS3Credentials = managed.generatedS3Credentials;
        this.ca = managed.ca;
        break;
      }
      case "external": {
        const pull = s.pullUsername && secrets.registryPullPassword ? { username: s.pullUsername, password: secrets.registryPullPassword } : undefined;
        if (s.username && !pull) {
          pulumi.log.warn(
            `registry.pullUsername is not set: the pull Secrets in app namespaces carry the push credential of ${s.username}, so any pod there can push and delete; set registry.pullUsername and the secret registryPullPassword (prod requires them)`,
            this,
          );
        }
        this.credentials =
          s.username && secrets.registryPassword
            ? new RegistryCredentials(`${name}-credentials`, { username: s.username, password: secrets.registryPassword, server: s.host, pull }, child)
            : undefined;
        this.host = pulumi.output(s.host);
        // A private CA (registryTlsCa) is what every client verifies this registry against.
        this.ca = secrets.registryTlsCa ? pulumi.unsecret(secrets.registryTlsCa) : undefined;
        const dockerTrust = this.ca ? new DockerRegistryTrust(`${name}-docker-trust`, { host: s.host, ca: this.ca, certsDir: DOCKER_CERTS_DIR }, child).installed : undefined;
        // The same bounded wait as the other modes: an unreachable registry fails before the first push.
        this.ready = registryReadiness(
          `${name}-ready`,
          {
            url: `https://${s.host}`,
            readiness: s.readiness,
            hint: `Check that ${s.host} is reachable from this machine and serves TLS`,
            credentials: this.credentials ? { username: this.credentials.username, password: this.credentials.password } : undefined,
            ca: this.ca,
          },
          { parent: this, dependsOn: dockerTrust ? [dockerTrust] : [] },
        );
        break;
      }
    }
    this.pullDockerConfigJson = this.credentials?.pullDockerConfigJson;
    if (s.nodeTrust.enabled) {
      const host = s.mode === "managed" ? managedRegistryHost(s) : s.host;
      new NodeRegistryTrust(
        `${name}-node-trust`,
        { host, ca: this.ca, certsDir: s.nodeTrust.certsDir, image: s.nodeTrust.image, namespace: s.nodeTrust.namespace },
        child,
      );
    }
    this.registerOutputs({ host: this.host, uiServiceName: this.uiServiceName, ca: this.ca });
  }
}
