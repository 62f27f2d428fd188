import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { standardLabels } from "../lib/k8sSpec";
import { CA_FILE, containerdHostsToml } from "../lib/nodeTrust";
import { nodeTrustScript } from "../lib/nodeTrustScript";
import { NODE_ACCESS_ANNOTATION } from "../lib/patterns";

/** Where the container sees the node's certs.d and the ConfigMap. */
const NODE_CERTS_MOUNT = "/host/certs.d";
const TRUST_FILES_MOUNT = "/trust";

export interface NodeRegistryTrustArgs {
  /** `host[:port]` as image names carry it. */
  host: string;
  /** The CA's PEM, with TLS; without it the nodes pull over plain HTTP. */
  ca?: pulumi.Input<string>;
  /** The node folder containerd reads hosts from (MicroK8s: /var/snap/microk8s/args/certs.d). */
  certsDir: string;
  /** From outside the private registry: nodes cannot pull from it before they trust it. */
  image: string;
  /** A namespace of its own, created here. */
  namespace: string;
}

/**
 * Every node's containerd trusts the registry: a DaemonSet (tolerating every taint, so control-plane nodes
 * and nodes that join later get it too) writes `hosts.toml` and the CA under `<certsDir>/<host>/` and removes
 * them when it stops. It mounts that one node folder and nothing else, and runs as root because the folder
 * is root's (0755 on every MicroK8s node): no capability, no privilege escalation, a read-only root
 * filesystem, no API token.
 */
export class NodeRegistryTrust extends pulumi.ComponentResource {
  public readonly daemonSetName: pulumi.Output<string>;

  constructor(name: string, args: NodeRegistryTrustArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:registry:NodeRegistryTrust", name, {}, opts);
    const { selector, labels } = standardLabels("registry-node-trust", name, "node-trust");
    const child = { parent: this };
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: args.namespace, labels } }, child);
    const hostsToml = containerdHostsToml(args.host, { tls: args.ca !== undefined });
    // A CA certificate is public: a ConfigMap is the right place for it.
    const files = new k8s.core.v1.ConfigMap(
      `${name}`,
      { metadata: { namespace: ns.metadata.name, labels }, data: { "hosts.toml": hostsToml, ...(args.ca !== undefined ? { [CA_FILE]: args.ca } : {}) } },
      child,
    );
    // The container copies the files at start: new files roll the pods.
    const filesChecksum = pulumi.output(args.ca ?? "").apply((ca) => createHash("sha256").update(`${hostsToml}\0${ca}`).digest("hex"));
    const hostsFile = `${NODE_CERTS_MOUNT}/${args.host}/hosts.toml`;
    const present = { exec: { command: ["test", "-f", hostsFile] }, periodSeconds: 30, timeoutSeconds: 3, failureThreshold: 3 };
    const daemonSet = new k8s.apps.v1.DaemonSet(
      `${name}`,
      {
        metadata: { namespace: ns.metadata.name, labels },
        spec: {
          selector: { matchLabels: selector },
          updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
          template: {
            metadata: {
              labels,
              annotations: {
                "checksum/trust-files": filesChecksum,
                [NODE_ACCESS_ANNOTATION]: `writes containerd's registry trust for ${args.host} under ${args.certsDir}, a root-owned node folder (hostPath, as root without capabilities)`,
              },
            },
            spec: {
              automountServiceAccountToken: false,
              tolerations: [{ operator: "Exists" }],
              terminationGracePeriodSeconds: 10,
              securityContext: { seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "trust",
                  image: args.image,
                  imagePullPolicy: "IfNotPresent",
                  command: ["/bin/sh", "-c", nodeTrustScript()],
                  env: [
                    { name: "REGISTRY_HOST", value: args.host },
                    { name: "NODE_CERTS_DIR", value: NODE_CERTS_MOUNT },
                    { name: "TRUST_FILES", value: TRUST_FILES_MOUNT },
                  ],
                  livenessProbe: { ...present, initialDelaySeconds: 10 },
                  readinessProbe: { ...present, initialDelaySeconds: 1, periodSeconds: 10 },
                  resources: { requests: { cpu: "5m", memory: "8Mi" }, limits: { cpu: "50m", memory: "32Mi" } },
                  securityContext: {
                    runAsUser: 0,
                    runAsNonRoot: false,
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ["ALL"] },
                  },
                  volumeMounts: [
                    { name: "node-certs", mountPath: NODE_CERTS_MOUNT },
                    { name: "trust-files", mountPath: TRUST_FILES_MOUNT, readOnly: true },
                  ],
                },
              ],
              volumes: [
                { name: "node-certs", hostPath: { path: args.certsDir, type: "DirectoryOrCreate" } },
                { name: "trust-files", configMap: { name: files.metadata.name } },
              ],
            },
          },
        },
      },
      child,
    );
    this.daemonSetName = daemonSet.metadata.name;
    this.registerOutputs({ daemonSetName: this.daemonSetName });
  }
}
