import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { managedLabels } from "../lib/k8sSpec";

export interface AppNamespaceArgs {
  /** The namespace's name, from config (several apps may share it). */
  namespace: string;
  /** `.dockerconfigjson` (a Pulumi secret) when the registry has auth; no pull Secret otherwise. */
  dockerConfigJson?: pulumi.Input<string>;
}

/** An app namespace and, for a registry with auth, the pull Secret its pods name in imagePullSecrets. */
export class AppNamespace extends pulumi.ComponentResource {
  public readonly name: pulumi.Output<string>;
  public readonly pullSecretName?: pulumi.Output<string>;

  constructor(name: string, args: AppNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:apps:AppNamespace", name, {}, opts);
    const labels = managedLabels();
    const ns = new k8s.core.v1.Namespace(`${name}`, { metadata: { name: args.namespace, labels } }, { parent: this });
    this.name = ns.metadata.name;
    if (args.dockerConfigJson !== undefined) {
      const pull = new k8s.core.v1.Secret(
        `${name}-registry-pull`,
        {
          metadata: { namespace: this.name, labels },
          type: "kubernetes.io/dockerconfigjson",
          stringData: { ".dockerconfigjson": pulumi.secret(args.dockerConfigJson) },
        },
        { parent: this },
      );
      this.pullSecretName = pull.metadata.name;
    }
    this.registerOutputs({ name: this.name, pullSecretName: this.pullSecretName });
  }
}
