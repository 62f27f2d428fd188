import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ManagedRegistrySettings } from "./settings";
import { managedRegistryHost } from "../../lib/registryDefaults";
import { secretsChecksum } from "../../lib/checksum";
import { parse } from "../../lib/imageRef";
import { disruptionBudgetSpec, spreadOverNodes, standardLabels } from "../../lib/k8sSpec";
import { RegistryGc } from "../registryGc";
import { RegistryRetention } from "../registryRetention";
import { AppImage } from "../appImage";
import { PRUNE_IMAGE_NAME, PruneImageBuild } from "../../lib/pruneImage";
import { registryReadiness } from "../registryReadiness";
import { RegistryUi } from "../registryUi";
import { RegistryTls } from "../registryTls";
import { DockerRegistryTrust } from "../dockerRegistryTrust";
import { hostName, isIpv4, isLoopbackHost } from "../../lib/hosts";
import { givenOrGenerated } from "../secretValue";
import { collectorSpec, registryPodSpec, sameNodeAs } from "./podSpec";
import { READONLY_ANNOTATION, WRITABLE_VALUE } from "../../lib/gcScript";
import { ENV_SECRET_KEYS, HTPASSWD_KEY, REGISTRY_DEBUG_PORT, REGISTRY_PORT, registryPortName } from "./registryEnv";

export interface ManagedRegistryArgs {
  settings: ManagedRegistrySettings;
  /** The htpasswd file (a Pulumi secret); required when `settings.auth.enabled`. */
  htpasswd?: pulumi.Input<string>;
  /** The push user, for the readiness check: it waits until the registry accepts the current credentials. */
  probeCredentials?: { username: pulumi.Input<string>; password: pulumi.Input<string> };
  /** S3 (MinIO) keys as Pulumi secrets; generated when absent, for the MinIO admin to register. */
  s3Credentials?: { accessKey: pulumi.Input<string>; secretKey: pulumi.Input<string> };
  /** A certificate of one's own (Pulumi secrets), when settings.tls is on without generate. */
  tlsGiven?: { certificate: pulumi.Input<string>; key: pulumi.Input<string>; ca: pulumi.Input<string> };
  /**
   * The stack's first update: generated S3 keys are new, MinIO does not know them yet, and the registry
   * cannot start until it does, so the update says which keys to register and how, before it waits.
   */
  firstUpdate?: boolean;
  /** With settings.retention on: how to build registry-prune's image, and the pull user's Docker config for the node. */
  retention?: { build: PruneImageBuild; pullDockerConfigJson?: pulumi.Input<string> };
}

/**
 * A self-managed CNCF Distribution registry: htpasswd auth mounted from a Secret, filesystem or S3 storage
 * with keys only through secretKeyRef, probes on the debug port, restricted security context, and the
 * optional web UI. Waits for `/v2/` on the NodePort before anything is pushed.
 */
export class ManagedRegistry extends pulumi.ComponentResource {
  public readonly host: pulumi.Output<string>;
  /** Resolves once `/v2/` answered on the NodePort; depend on it before pushing. */
  public readonly ready: pulumi.Resource;
  public readonly uiServiceName?: pulumi.Output<string>;
  /** The CA clients verify the registry against, with TLS on. */
  public readonly ca?: pulumi.Output<string>;
  /** Only set when the keys were generated here: hand them to the MinIO admin. */
  public readonly generatedS3Credentials?: { accessKey: pulumi.Output<string>; secretKey: pulumi.Output<string> };
  /** The namespace, the registry's Deployment and its NodePort Service. */
  public readonly namespace: k8s.core.v1.Namespace;
  public readonly deployment: k8s.apps.v1.Deployment;
  public readonly service: k8s.core.v1.Service;
  /** The volume holding the images, with filesystem storage. */
  public readonly dataClaim?: k8s.core.v1.PersistentVolumeClaim;

  constructor(name: string, args: ManagedRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:registry:ManagedRegistry", name, {}, opts);
    const s = args.settings;
    if (s.auth.enabled && args.htpasswd === undefined) throw new Error(`${name}: auth is enabled but no htpasswd was given`);
    const child = { parent: this };
    const { selector, labels } = standardLabels("registry", name, "registry", parse(s.image).tag);

    // With filesystem storage the namespace holds the volume, so it is kept with it (deleting a namespace
    // deletes its claims). The storage guard refuses a change that would replace either one.
    const keepStorage = s.storage.type === "filesystem" && !s.storage.deleteOnDestroy;
    const ns = (this.namespace = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: s.namespace, labels } }, { parent: this, retainOnDelete: keepStorage }));
    const namespace = ns.metadata.name;

    const httpSecret = givenOrGenerated(`${name}-http-secret`, undefined, this, { length: 48 });
    const s3 =
      s.storage.type === "s3"
        ? {
            accessKey: givenOrGenerated(`${name}-s3-access-key`, args.s3Credentials?.accessKey, this, { length: 20, lower: false }),
            secretKey: givenOrGenerated(`${name}-s3-secret-key`, args.s3Credentials?.secretKey, this, { length: 40 }),
          }
        : undefined;
    if (s3 && !args.s3Credentials) this.generatedS3Credentials = s3;
    if (s3 && !args.s3Credentials && args.firstUpdate && s.storage.type === "s3") {
      pulumi.log.warn(
        `generated S3 keys for bucket ${s.storage.bucket}: the registry cannot start until ${s.storage.regionEndpoint ?? "the S3 endpoint"} knows them. ` +
          `Register them as MinIO's admin: npm run s3-keys -- ${pulumi.getStack()} prints the commands (it reads the keys from the state, also after an up that failed waiting for the registry); ` +
          "or set keys MinIO knows with pulumi config set --secret s3AccessKey / s3SecretKey",
        this,
      );
    }

    const envSecret = new k8s.core.v1.Secret(
      `${name}-env`,
      {
        metadata: { namespace, labels },
        type: "Opaque",
        stringData: {
          [ENV_SECRET_KEYS.httpSecret]: httpSecret,
          ...(s3 ? { [ENV_SECRET_KEYS.s3AccessKey]: s3.accessKey, [ENV_SECRET_KEYS.s3SecretKey]: s3.secretKey } : {}),
        },
      },
      child,
    );
    const authSecret =
      s.auth.enabled && args.htpasswd !== undefined
        ? new k8s.core.v1.Secret(
            `${name}-auth`,
            { metadata: { namespace, labels }, type: "Opaque", stringData: { [HTPASSWD_KEY]: args.htpasswd } },
            child,
          )
        : undefined;
    // The Service's name is fixed (the component's), so the certificate can name it before it exists.
    const serviceName = name;
    const host = managedRegistryHost(s);
    const certificate = s.tls.enabled
      ? new RegistryTls(
          `${name}-certificate`,
          { given: args.tlsGiven, ...certificateNames(host, serviceName, s.namespace), validityDays: s.tls.validityDays },
          child,
        )
      : undefined;
    const tlsSecret = certificate
      ? new k8s.core.v1.Secret(
          `${name}-tls`,
          { metadata: { namespace, labels }, type: "kubernetes.io/tls", stringData: { "tls.crt": certificate.certificate, "tls.key": certificate.key } },
          child,
        )
      : undefined;
    this.ca = certificate?.ca;

    const dataClaim = (this.dataClaim =
      s.storage.type === "filesystem"
        ? new k8s.core.v1.PersistentVolumeClaim(
            `${name}-data`,
            {
              metadata: { namespace, labels },
              spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: s.storage.storageClass,
                resources: { requests: { storage: s.storage.size } },
              },
            },
            { parent: this, retainOnDelete: keepStorage },
          )
        : undefined);

    // The registry reads htpasswd and its env only at start: a changed credential must roll the pods.
    const checksumKey = givenOrGenerated(`${name}-checksum-key`, undefined, this);
    // A renewed certificate rolls them too.
    const credentialsChecksum = secretsChecksum(checksumKey, [
      args.htpasswd ?? "",
      httpSecret,
      s3?.accessKey ?? "",
      s3?.secretKey ?? "",
      certificate?.certificate ?? "",
      certificate?.key ?? "",
    ]);

    // With filesystem storage, every pod that mounts the ReadWriteOnce volume runs on its node; with S3
    // (the one storage that allows several replicas) the replicas spread over nodes.
    const sameNode = dataClaim ? sameNodeAs(selector) : undefined;
    const spread = !dataClaim && s.replicas > 1 ? spreadOverNodes(selector) : undefined;
    const deployment = (this.deployment = new k8s.apps.v1.Deployment(
      `${name}`,
      {
        metadata: { namespace, labels },
        spec: {
          replicas: s.replicas,
          selector: { matchLabels: selector },
          // A new pod is ready before an old one stops, so pulls go on through a rollout (the GC window's
          // two included). With filesystem storage both pods share the node holding the volume.
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: { labels, annotations: { "checksum/credentials": credentialsChecksum, [READONLY_ANNOTATION]: WRITABLE_VALUE } },
            spec: {
              ...registryPodSpec(s, { envSecret: envSecret.metadata.name, authSecret: authSecret?.metadata.name, dataClaim: dataClaim?.metadata.name, tlsSecret: tlsSecret?.metadata.name }),
              ...(sameNode ? { affinity: sameNode } : {}),
              ...(spread ? { topologySpreadConstraints: spread } : {}),
            },
          },
        },
      },
      child,
    ));

    // A drain takes one replica at a time, so pulls go on while a node is emptied.
    if (s.replicas > 1) {
      new k8s.policy.v1.PodDisruptionBudget(`${name}`, { metadata: { namespace, labels }, spec: disruptionBudgetSpec(selector) }, child);
    }

    // The registry port is for everyone who pushes and pulls; the debug port (pprof, expvar, metrics) only
    // for the namespaces config names. MicroK8s's default CNI (Calico) enforces NetworkPolicy.
    new k8s.networking.v1.NetworkPolicy(
      `${name}-ingress`,
      {
        metadata: { namespace, labels },
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ["Ingress"],
          ingress: [
            { ports: [{ protocol: "TCP", port: REGISTRY_PORT }] },
            ...(s.debugPortFrom.length > 0
              ? [
                  {
                    from: s.debugPortFrom.map((ns) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } })),
                    ports: [{ protocol: "TCP", port: REGISTRY_DEBUG_PORT }],
                  },
                ]
              : []),
          ],
        },
      },
      child,
    );

    const service = (this.service = new k8s.core.v1.Service(
      `${name}`,
      {
        metadata: { name: serviceName, namespace, labels },
        spec: {
          type: "NodePort",
          selector,
          ports: [{ name: registryPortName(s), port: REGISTRY_PORT, targetPort: registryPortName(s), nodePort: s.nodePort }],
        },
      },
      // A replacement (a namespace move) frees the fixed NodePort before the new Service asks for it.
      { parent: this, dependsOn: [deployment], deleteBeforeReplace: true },
    ));

    const hint = `Check the registry with: kubectl -n ${s.namespace} get pods,svc,events`;
    // The Docker daemon that pushes trusts the CA before the first push; pushes wait for `ready`.
    const dockerTrust = certificate
      ? new DockerRegistryTrust(`${name}-docker-trust`, { host, ca: certificate.ca, certsDir: s.tls.dockerCertsDir }, child).installed
      : undefined;
    this.ready = registryReadiness(
      `${name}-ready`,
      {
        url: `${certificate ? "https" : "http"}://${host}`,
        readiness: s.readiness,
        hint,
        credentials: args.probeCredentials,
        ca: certificate?.ca,
        triggers: [s.image, credentialsChecksum],
      },
      { parent: this, dependsOn: [deployment, service, ...(dockerTrust ? [dockerTrust] : [])] },
    );

    if (s.ui.enabled) {
      const registryUrl = pulumi.interpolate`${certificate ? "https" : "http"}://${service.metadata.name}.${namespace}.svc.cluster.local:${REGISTRY_PORT}`;
      const ui = new RegistryUi(
        `${name}-ui`,
        {
          namespace,
          registryUrl,
          registrySecured: s.auth.enabled,
          settings: s.ui,
        },
        { parent: this, dependsOn: [service] },
      );
      this.uiServiceName = ui.serviceName;
    }

    if (s.gc.enabled) {
      new RegistryGc(
        `${name}-gc`,
        {
          namespace,
          deploymentName: deployment.metadata.name,
          collector: collectorSpec(s, { envSecret: envSecret.metadata.name, dataClaim: dataClaim?.metadata.name }),
          ...(sameNode ? { sameNodeAs: sameNode } : {}),
          settings: s.gc,
        },
        { parent: this, dependsOn: [deployment] },
      );
    }

    if (s.retention.enabled) {
      if (!args.retention) throw new Error(`${name}: retention is enabled but no registry-prune build was planned`);
      const { build } = args.retention;
      // Built from this repository and pushed to this registry, once it answers; the CronJob runs it by digest.
      const image = new AppImage(
        `${name}-prune-image`,
        {
          repository: `${host}/${s.namespace}/${PRUNE_IMAGE_NAME}`,
          tag: build.tag,
          extraTags: [],
          build: { context: build.context, dockerfile: build.dockerfile, args: build.args, platform: build.platform, network: build.network },
          registry: { server: host, username: args.probeCredentials?.username, password: args.probeCredentials?.password },
          waitFor: [this.ready],
        },
        child,
      );
      new RegistryRetention(
        `${name}-retention`,
        {
          namespace,
          deploymentName: deployment.metadata.name,
          image: image.repoDigest,
          settings: s.retention,
          target: {
            serviceName,
            namespace: s.namespace,
            port: REGISTRY_PORT,
            host,
            nodePort: s.nodePort,
            tls: s.tls.enabled,
            ...(s.auth.enabled ? { username: s.auth.username } : {}),
          },
          password: s.auth.enabled ? args.probeCredentials?.password : undefined,
          pullDockerConfigJson: args.retention.pullDockerConfigJson,
          ca: certificate?.ca,
        },
        { parent: this, dependsOn: [deployment] },
      );
    }

    this.host = pulumi.output(host);
    this.registerOutputs({ host: this.host, uiServiceName: this.uiServiceName, ca: this.ca });
  }
}

/** What a generated certificate covers: registry.host, 127.0.0.1 beside a loopback name, and the Service's in-cluster names. */
export function certificateNames(host: string, serviceName: string, namespace: string): { dnsNames: string[]; ipAddresses: string[] } {
  const name = hostName(host);
  const inCluster = [serviceName, `${serviceName}.${namespace}`, `${serviceName}.${namespace}.svc`, `${serviceName}.${namespace}.svc.cluster.local`];
  const ipAddresses = isIpv4(name) ? [name] : isLoopbackHost(host) ? ["127.0.0.1"] : [];
  return { dnsNames: [...(isIpv4(name) ? [] : [name]), ...inCluster], ipAddresses: [...new Set(ipAddresses)] };
}
