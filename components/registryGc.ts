import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { GcSettings } from "../config/registrySchema";
import { gcScript } from "../lib/gcScript";
import { containerSecurityContext, podSecurityContext, standardLabels } from "../lib/k8sSpec";

export interface RegistryGcArgs {
  namespace: pulumi.Input<string>;
  /** The registry Deployment the window switches to read-only and runs the collector in. */
  deploymentName: pulumi.Input<string>;
  /**
   * The schedule (cron, in the cluster's time zone: pick a quiet hour, pushes fail during the window), the
   * job's image (any with a shell and kubectl) and its resources.
   */
  settings: GcSettings;
}

/**
 * Scheduled garbage collection for a managed registry: a CronJob (one run at a time) whose pod may only
 * patch and exec into that registry, switching it read-only for the window. Deleting manifests frees no
 * space until this runs.
 */
export class RegistryGc extends pulumi.ComponentResource {
  public readonly cronJobName: pulumi.Output<string>;

  constructor(name: string, args: RegistryGcArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:registry:RegistryGc", name, {}, opts);
    const child = { parent: this };
    const { selector, labels } = standardLabels("registry-gc", name, "maintenance");
    const metadata = { namespace: args.namespace, labels };

    const account = new k8s.core.v1.ServiceAccount(`${name}`, { metadata, automountServiceAccountToken: true }, child);
    const role = new k8s.rbac.v1.Role(
      `${name}`,
      {
        metadata,
        rules: [
          { apiGroups: ["apps"], resources: ["deployments"], resourceNames: [args.deploymentName], verbs: ["get", "patch"] },
          { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] },
          { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
          { apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] },
        ],
      },
      child,
    );
    new k8s.rbac.v1.RoleBinding(
      `${name}`,
      {
        metadata,
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: args.namespace }],
      },
      child,
    );

    const script = pulumi.all([args.namespace, args.deploymentName]).apply(([ns, deployment]) => gcScript(ns, deployment));
    const cronJob = new k8s.batch.v1.CronJob(
      `${name}`,
      {
        metadata,
        spec: {
          schedule: args.settings.schedule,
          concurrencyPolicy: "Forbid",
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            spec: {
              backoffLimit: 0,
              activeDeadlineSeconds: 3600,
              template: {
                metadata: { labels: { ...labels, ...selector } },
                spec: {
                  serviceAccountName: account.metadata.name,
                  restartPolicy: "Never",
                  volumes: [{ name: "tmp", emptyDir: {} }],
                  securityContext: podSecurityContext(1000),
                  containers: [
                    {
                      name: "gc",
                      image: args.settings.kubectlImage,
                      imagePullPolicy: "IfNotPresent",
                      command: ["/bin/sh", "-c", script],
                      // kubectl keeps a discovery cache under $HOME; the root filesystem is read-only.
                      env: [{ name: "HOME", value: "/tmp" }],
                      volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                      resources: args.settings.resources,
                      securityContext: containerSecurityContext(true),
                    },
                  ],
                },
              },
            },
          },
        },
      },
      child,
    );
    this.cronJobName = cronJob.metadata.name;
    this.registerOutputs({ cronJobName: this.cronJobName });
  }
}
