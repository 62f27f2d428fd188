import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { gcAccountsCondition, gcAdmissionValidations } from "../lib/gcAdmission";
import { GC_WINDOW_DIR, gcCollectScript, gcGuardScript, gcWindowScript, JOB_NAME_ENV } from "../lib/gcScript";
import { MAINTAINS_LABEL } from "../prune/turn";
import { API_TOKEN_DIR, apiTokenVolume, ContainerResources, containerSecurityContext, maintenanceCronJobSpec, podSecurityContext, standardLabels } from "../lib/k8sSpec";
import type { collectorSpec, sameNodeAs } from "./managedRegistry/podSpec";

/**
 * How often the guard looks for a read-only registry that no live window holds: with the window's
 * 2-minute lease, a killed window leaves the registry writable again within about 7 minutes.
 */
const GUARD_SCHEDULE = "*/5 * * * *";

/** A kubectl container running `script` with the token mounted; kubectl keeps a discovery cache under $HOME on a read-only root. */
function kubectlContainer(name: string, script: pulumi.Input<string>, settings: RegistryGcSettings, extraMounts: { name: string; mountPath: string }[] = [], extraEnv: k8s.types.input.core.v1.EnvVar[] = []) {
  return {
    name,
    image: settings.kubectlImage,
    imagePullPolicy: "IfNotPresent",
    command: ["/bin/sh", "-c", script],
    env: [{ name: "HOME", value: "/home/kubectl" }, ...extraEnv],
    volumeMounts: [...extraMounts, { name: "kubectl-home", mountPath: "/home/kubectl" }, { name: apiTokenVolume.name, mountPath: API_TOKEN_DIR, readOnly: true }],
    resources: settings.resources,
    securityContext: containerSecurityContext(true),
  };
}

/** What the GC window is given of registry.gc. */
export interface RegistryGcSettings {
  schedule: string;
  /** The image of the window and the guard: kubectl, pinned by digest in prod. */
  kubectlImage: string;
  resources: ContainerResources;
}

export interface RegistryGcArgs {
  namespace: pulumi.Input<string>;
  /** The registry Deployment the window switches to read-only: the only object the job may touch. */
  deploymentName: pulumi.Input<string>;
  /** The collector container and its volumes: the registry's image and storage settings, nothing more. */
  collector: ReturnType<typeof collectorSpec<pulumi.Output<string>>>;
  /**
   * With filesystem storage, the affinity to the registry pods' node: the collector must run where the
   * ReadWriteOnce volume is attached.
   */
  sameNodeAs?: ReturnType<typeof sameNodeAs>;
  /**
   * The schedule (cron, in the cluster's time zone: pick a quiet hour, pushes fail during the window), the
   * window's image (any with a shell and kubectl) and its resources.
   */
  settings: RegistryGcSettings;
}

/**
 * Scheduled garbage collection for a managed registry: a CronJob (one run at a time) whose pod switches the
 * registry read-only, collects with the registry's own image, and switches it back; and a guard CronJob
 * that switches it back when a window died without doing so. Each has its own account, which may only read
 * and patch that one Deployment, and only their kubectl containers get a token. Deleting manifests frees
 * no space until this runs.
 */
export class RegistryGc extends pulumi.ComponentResource {
  public readonly cronJobName: pulumi.Output<string>;
  /** The guard that gives the registry back when a window was killed. */
  public readonly guardCronJobName: pulumi.Output<string>;

  constructor(name: string, args: RegistryGcArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:registry:RegistryGc", name, {}, opts);
    const child = { parent: this };
    const { selector, labels } = standardLabels("registry-gc", name, "maintenance");
    const metadata = { namespace: args.namespace, labels };

    const account = new k8s.core.v1.ServiceAccount(`${name}`, { metadata, automountServiceAccountToken: false }, child);
    const guardAccount = new k8s.core.v1.ServiceAccount(`${name}-guard`, { metadata, automountServiceAccountToken: false }, child);
    const role = new k8s.rbac.v1.Role(
      `${name}`,
      {
        metadata,
        // `set env` gets and patches; `rollout status` watches with a metadata.name field selector, which
        // resourceNames allows.
        rules: [{ apiGroups: ["apps"], resources: ["deployments"], resourceNames: [args.deploymentName], verbs: ["get", "list", "watch", "patch"] }],
      },
      child,
    );
    new k8s.rbac.v1.RoleBinding(
      `${name}`,
      {
        metadata,
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [account, guardAccount].map((a) => ({ kind: "ServiceAccount", name: a.metadata.name, namespace: args.namespace })),
      },
      child,
    );
    // The window's turn among the registry's maintenance Jobs (a retention run goes first if it started first):
    // `list` on Jobs in this namespace, for the window's account only.
    const turnRole = new k8s.rbac.v1.Role(`${name}-turn`, { metadata, rules: [{ apiGroups: ["batch"], resources: ["jobs"], verbs: ["list"] }] }, child);
    new k8s.rbac.v1.RoleBinding(
      `${name}-turn`,
      {
        metadata,
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: turnRole.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: args.namespace }],
      },
      child,
    );

    // RBAC lets a patch change anything in the Deployment; this admission policy narrows the two accounts
    // to the switch annotation and the lease (lib/gcAdmission.ts).
    const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
      `${name}-switch-only`,
      {
        metadata: { labels },
        spec: {
          failurePolicy: "Fail",
          matchConstraints: { resourceRules: [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["UPDATE"], resources: ["deployments"] }] },
          matchConditions: [
            {
              name: "gc-accounts",
              expression: pulumi.all([args.namespace, account.metadata.name, guardAccount.metadata.name]).apply(([ns, a, g]) => gcAccountsCondition(ns, [a, g])),
            },
          ],
          validations: gcAdmissionValidations(),
        },
      },
      child,
    );
    const binding = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
      `${name}-switch-only`,
      {
        metadata: { labels },
        spec: {
          policyName: policy.metadata.name,
          validationActions: ["Deny"],
          matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.namespace } } },
        },
      },
      child,
    );

    const script = pulumi.all([args.namespace, args.deploymentName]).apply(([ns, deployment]) => gcWindowScript(ns, deployment));
    const windowMount = { name: "window", mountPath: GC_WINDOW_DIR };
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
            ...(args.sameNodeAs ? { affinity: args.sameNodeAs } : {}),
            volumes: [
              { name: windowMount.name, emptyDir: {} },
              { name: "kubectl-home", emptyDir: {} },
              // The token, for the window container only (the collector has no use for it).
              apiTokenVolume,
              ...args.collector.volumes,
            ],
            securityContext: podSecurityContext(args.collector.runAsUser),
            containers: [
              kubectlContainer("window", script, args.settings, [windowMount], [
                { name: JOB_NAME_ENV, valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } },
              ]),
              {
                ...args.collector.container,
                command: ["/bin/sh", "-c", gcCollectScript(args.collector.configPath)],
                volumeMounts: [...args.collector.container.volumeMounts, windowMount],
              },
            ],
          },
        }),
      },
      { ...child, dependsOn: [binding] },
    );

    const guardScript = pulumi.all([args.namespace, args.deploymentName]).apply(([ns, deployment]) => gcGuardScript(ns, deployment));
    const guard = new k8s.batch.v1.CronJob(
      `${name}-guard`,
      {
        metadata,
        spec: maintenanceCronJobSpec({
          schedule: GUARD_SCHEDULE,
          deadlineSeconds: 600,
          successfulJobsHistoryLimit: 1,
          podLabels: { ...labels, ...selector },
          account: guardAccount.metadata.name,
          pod: {
            volumes: [{ name: "kubectl-home", emptyDir: {} }, apiTokenVolume],
            securityContext: podSecurityContext(args.collector.runAsUser),
            containers: [kubectlContainer("guard", guardScript, args.settings)],
          },
        }),
      },
      { ...child, dependsOn: [binding] },
    );
    this.cronJobName = cronJob.metadata.name;
    this.guardCronJobName = guard.metadata.name;
    this.registerOutputs({ cronJobName: this.cronJobName, guardCronJobName: this.guardCronJobName });
  }
}
