import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { API_TOKEN_DIR, apiTokenVolume, ContainerResources, containerSecurityContext, maintenanceCronJobSpec, podSecurityContext, standardLabels } from "../lib/k8sSpec";
import { pruneNodeOptions, RETENTION_CA_DIR, RetentionPolicy, RetentionTarget, retentionArgs, TURN_ENV } from "../lib/retentionArgs";
import { MAINTAINS_LABEL } from "../prune/turn";

/** The kinds in-use protection lists in every namespace (prune/cluster.ts), by API group. */
export const IN_USE_RULES = [
  { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
  { apiGroups: ["apps"], resources: ["deployments", "replicasets", "statefulsets", "daemonsets"], verbs: ["list"] },
  { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: ["list"] },
];
/** The image's user (prune/Dockerfile). */
const PRUNE_UID = 1000;
const PASSWORD_KEY = "password";

/** What the retention CronJob is given of registry.retention. */
export interface RegistryRetentionSettings extends RetentionPolicy {
  schedule: string;
  resources: ContainerResources;
}

export interface RegistryRetentionArgs {
  namespace: pulumi.Input<string>;
  /** The registry Deployment: its name labels the Jobs, so retention and GC take turns (prune/turn.ts). */
  deploymentName: pulumi.Input<string>;
  /** registry-prune's image, by digest, in the registry it prunes. */
  image: pulumi.Input<string>;
  settings: RegistryRetentionSettings;
  target: RetentionTarget;
  /** The push user's password (a Pulumi secret): Distribution's htpasswd has no per-user rights, and prune deletes. */
  password?: pulumi.Input<string>;
  /** `.dockerconfigjson` of the pull user, for the node to pull the image. */
  pullDockerConfigJson?: pulumi.Input<string>;
  /** With TLS on: the CA the registry's certificate chains to. */
  ca?: pulumi.Input<string>;
}

/**
 * Scheduled retention for a managed registry: a CronJob (one run at a time) that runs registry-prune in the
 * cluster with in-use protection, after its turn among the registry's maintenance Jobs (it never overlaps a
 * GC window, which holds the registry read-only). Its account may `list` the workload kinds cluster-wide
 * and nothing else; the registry credential is a Secret it reads through secretKeyRef.
 */
export class RegistryRetention extends pulumi.ComponentResource {
  public readonly cronJobName: pulumi.Output<string>;
  public readonly accountName: pulumi.Output<string>;

  constructor(name: string, args: RegistryRetentionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:registry:RegistryRetention", name, {}, opts);
    const child = { parent: this };
    const { selector, labels } = standardLabels("registry-retention", name, "maintenance");
    const metadata = { namespace: args.namespace, labels };

    const account = new k8s.core.v1.ServiceAccount(`${name}`, { metadata, automountServiceAccountToken: false }, child);
    const role = new k8s.rbac.v1.ClusterRole(`${name}`, { metadata: { labels }, rules: IN_USE_RULES }, child);
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}`,
      {
        metadata: { labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: args.namespace }],
      },
      child,
    );
    const credential = args.password
      ? new k8s.core.v1.Secret(`${name}-credential`, { metadata, type: "Opaque", stringData: { [PASSWORD_KEY]: pulumi.secret(args.password) } }, child)
      : undefined;
    const pull = args.pullDockerConfigJson
      ? new k8s.core.v1.Secret(
          `${name}-pull`,
          { metadata, type: "kubernetes.io/dockerconfigjson", stringData: { ".dockerconfigjson": pulumi.secret(args.pullDockerConfigJson) } },
          child,
        )
      : undefined;
    const ca = args.ca ? new k8s.core.v1.ConfigMap(`${name}-ca`, { metadata, data: { "ca.crt": args.ca } }, child) : undefined;

    const env = [
      { name: TURN_ENV.namespace, valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
      { name: TURN_ENV.job, valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } },
      ...(credential ? [{ name: "REGISTRY_PASSWORD", valueFrom: { secretKeyRef: { name: credential.metadata.name, key: PASSWORD_KEY } } }] : []),
      { name: "NODE_OPTIONS", value: pruneNodeOptions(args.settings.resources.limits.memory) },
    ];
    const cronJob = new k8s.batch.v1.CronJob(
      `${name}`,
      {
        metadata,
        spec: maintenanceCronJobSpec({
          schedule: args.settings.schedule,
          deadlineSeconds: 3600,
          successfulJobsHistoryLimit: 3,
          jobLabels: { ...labels, [MAINTAINS_LABEL]: args.deploymentName },
          podLabels: { ...labels, ...selector },
          account: account.metadata.name,
          pod: {
            ...(pull ? { imagePullSecrets: [{ name: pull.metadata.name }] } : {}),
            securityContext: podSecurityContext(PRUNE_UID),
            volumes: [apiTokenVolume, ...(ca ? [{ name: "registry-ca", configMap: { name: ca.metadata.name } }] : [])],
            containers: [
              {
                name: "prune",
                image: args.image,
                imagePullPolicy: "IfNotPresent",
                args: retentionArgs(args.settings, args.target),
                env,
                volumeMounts: [
                  { name: apiTokenVolume.name, mountPath: API_TOKEN_DIR, readOnly: true },
                  ...(ca ? [{ name: "registry-ca", mountPath: RETENTION_CA_DIR, readOnly: true }] : []),
                ],
                resources: args.settings.resources,
                securityContext: containerSecurityContext(true),
              },
            ],
          },
        }),
      },
      child,
    );
    this.cronJobName = cronJob.metadata.name;
    this.accountName = account.metadata.name;
    this.registerOutputs({ cronJobName: this.cronJobName, accountName: this.accountName });
  }
}
