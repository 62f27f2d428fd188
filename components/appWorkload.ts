import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { appEnv, secretKeyFor } from "../lib/appEnv";
import { secretsChecksum } from "../lib/checksum";
import { EXPOSE_ANNOTATION } from "../lib/patterns";
import { givenOrGenerated } from "./secretValue";
import { ContainerResources, containerSecurityContext, disruptionBudgetSpec, httpProbe, HttpProbeSettings, podSecurityContext, spreadOverNodes, standardLabels } from "../lib/k8sSpec";

const APP_UID = 1000;

/** A probe of the app's port (or `probes.port`). */
export type AppProbe = Omit<HttpProbeSettings, "port">;

/** What the workload reads of an app, declared here so the component owns its args (config's AppSettings has this shape). */
export interface AppWorkloadSpec {
  name: string;
  /** The `version` and `app.kubernetes.io/version` labels. */
  version: string;
  /** Plain, not an Input: more than one adds node spread and a disruption budget. */
  replicas: number;
  port: number;
  probes: { port?: number; liveness: AppProbe; readiness: AppProbe };
  resources: ContainerResources;
  service: { type: "ClusterIP" | "NodePort" | "LoadBalancer"; port: number; expose: boolean };
  /** Plain env values; nothing secret (config refuses names and values that look like credentials). */
  env: Record<string, string>;
  /** Env names read from the app's Secret. */
  secretEnv: string[];
}

export interface AppWorkloadArgs {
  app: AppWorkloadSpec;
  namespace: pulumi.Input<string>;
  /** `repo@sha256:...`: a new digest rolls the pods, nothing else does. */
  image: pulumi.Input<string>;
  /** IfNotPresent for a digest; Always for a prebuilt image deployed by a mutable tag. */
  imagePullPolicy: "IfNotPresent" | "Always";
  /** The namespace's pull Secret, when the registry has auth. */
  pullSecretName?: pulumi.Input<string>;
  /** Secret env values by env name (Pulumi secrets); they go only into the app's Secret. */
  secretValues: Record<string, pulumi.Input<string>>;
  /** Steps the rollout waits for, such as the image's signature. */
  waitFor?: pulumi.Resource[];
}

/** One app: its Secret, a Deployment pinned by digest with probes, limits and a restricted context, and a Service. */
export class AppWorkload extends pulumi.ComponentResource {
  public readonly serviceName: pulumi.Output<string>;
  public readonly deployment: k8s.apps.v1.Deployment;
  public readonly service: k8s.core.v1.Service;
  /** The app's Secret, when it has secret env. */
  public readonly secret?: k8s.core.v1.Secret;

  constructor(name: string, args: AppWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:apps:AppWorkload", name, {}, opts);
    const app = args.app;
    const std = standardLabels(app.name, name, "app", app.version);
    const selector = { app: app.name, ...std.selector };
    const labels = { app: app.name, version: app.version, ...std.labels };
    const probePort = app.probes.port ?? "http";

    const secret = (this.secret =
      app.secretEnv.length > 0
        ? new k8s.core.v1.Secret(
            `${name}-secrets`,
            {
              metadata: { namespace: args.namespace, labels },
              type: "Opaque",
              stringData: Object.fromEntries(app.secretEnv.map((env) => [secretKeyFor(env), pulumi.secret(args.secretValues[env])])),
            },
            { parent: this },
          )
        : undefined);
    // A changed secret value must restart the pods, which read env only at start.
    const checksumKey = secret ? givenOrGenerated(`${name}-checksum-key`, undefined, this) : undefined;
    const secretsVersion = secret && checksumKey ? secretsChecksum(checksumKey, app.secretEnv.map((env) => args.secretValues[env])) : undefined;

    // Several replicas spread over nodes, and a drain takes one at a time.
    const replicated = app.replicas > 1;
    this.deployment = new k8s.apps.v1.Deployment(
      `${name}`,
      {
        metadata: { namespace: args.namespace, labels },
        spec: {
          replicas: app.replicas,
          selector: { matchLabels: selector },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: { labels, annotations: secretsVersion ? { "checksum/secrets": secretsVersion } : undefined },
            spec: {
              automountServiceAccountToken: false,
              securityContext: podSecurityContext(APP_UID),
              imagePullSecrets: args.pullSecretName ? [{ name: args.pullSecretName }] : undefined,
              terminationGracePeriodSeconds: 30,
              topologySpreadConstraints: replicated ? spreadOverNodes(selector) : undefined,
              containers: [
                {
                  name: app.name,
                  image: args.image,
                  imagePullPolicy: args.imagePullPolicy,
                  ports: [{ name: "http", containerPort: app.port }],
                  env: appEnv(app.env, app.secretEnv, secret?.metadata.name),
                  livenessProbe: httpProbe({ ...app.probes.liveness, port: probePort }),
                  readinessProbe: httpProbe({ ...app.probes.readiness, port: probePort }),
                  resources: app.resources,
                  securityContext: containerSecurityContext(true),
                  volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                },
              ],
              volumes: [{ name: "tmp", emptyDir: {} }],
            },
          },
        },
      },
      { parent: this, dependsOn: args.waitFor ?? [] },
    );

    if (replicated) {
      new k8s.policy.v1.PodDisruptionBudget(`${name}`, { metadata: { namespace: args.namespace, labels }, spec: disruptionBudgetSpec(selector) }, { parent: this });
    }

    this.service = new k8s.core.v1.Service(
      `${name}`,
      {
        metadata: { namespace: args.namespace, labels, annotations: app.service.expose ? { [EXPOSE_ANNOTATION]: "true" } : undefined },
        spec: { type: app.service.type, selector, ports: [{ name: "http", port: app.service.port, targetPort: "http" }] },
      },
      { parent: this },
    );
    this.serviceName = this.service.metadata.name;
    this.registerOutputs({ serviceName: this.serviceName });
  }
}
