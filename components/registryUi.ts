import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ContainerResources, containerSecurityContext, httpProbe, podSecurityContext, standardLabels } from "../lib/k8sSpec";

/** nginx in joxit/docker-registry-ui listens on 80 as root, on NGINX_LISTEN_PORT as non-root. */
export const UI_PORT = 8080;
const NGINX_UID = 101;

/** What the UI is given of registry.ui. */
export interface RegistryUiSettings {
  image: string;
  title: string;
  /** Offer deleting images from the UI (the registry must allow deletes). */
  deleteImages: boolean;
  resources: ContainerResources;
}

export interface RegistryUiArgs {
  namespace: pulumi.Input<string>;
  /** In-cluster registry URL; nginx proxies to it, so the browser needs no CORS. */
  registryUrl: pulumi.Input<string>;
  /** Tells the UI the registry uses basic auth, which halves its requests. */
  registrySecured: boolean;
  /** Image, title, resources, and deleteImages (off unless the team wants the UI to be a delete tool). */
  settings: RegistryUiSettings;
}

/** joxit/docker-registry-ui as a Deployment + ClusterIP Service in front of the registry. */
export class RegistryUi extends pulumi.ComponentResource {
  public readonly serviceName: pulumi.Output<string>;

  constructor(name: string, args: RegistryUiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:registry:RegistryUi", name, {}, opts);
    const { selector, labels } = standardLabels("registry-ui", name, "ui");
    const probe = (initialDelaySeconds: number) => httpProbe({ path: "/", port: "http", initialDelaySeconds, periodSeconds: 10 });

    const deployment = new k8s.apps.v1.Deployment(
      `${name}`,
      {
        metadata: { namespace: args.namespace, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: selector },
          template: {
            metadata: { labels },
            spec: {
              automountServiceAccountToken: false,
              securityContext: podSecurityContext(NGINX_UID),
              containers: [
                {
                  name: "ui",
                  image: args.settings.image,
                  imagePullPolicy: "IfNotPresent",
                  ports: [{ name: "http", containerPort: UI_PORT }],
                  env: [
                    { name: "NGINX_LISTEN_PORT", value: String(UI_PORT) },
                    { name: "NGINX_PROXY_PASS_URL", value: args.registryUrl },
                    { name: "SINGLE_REGISTRY", value: "true" },
                    { name: "REGISTRY_TITLE", value: args.settings.title },
                    { name: "DELETE_IMAGES", value: String(args.settings.deleteImages) },
                    { name: "REGISTRY_SECURED", value: String(args.registrySecured) },
                  ],
                  livenessProbe: probe(10),
                  readinessProbe: probe(2),
                  resources: args.settings.resources,
                  // The image's entrypoint writes its nginx config at start, so the root stays writable.
                  securityContext: containerSecurityContext(false),
                },
              ],
            },
          },
        },
      },
      { parent: this },
    );

    const service = new k8s.core.v1.Service(
      `${name}`,
      {
        metadata: { namespace: args.namespace, labels },
        spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: 80, targetPort: "http" }] },
      },
      { parent: this, dependsOn: [deployment] },
    );
    this.serviceName = service.metadata.name;
    this.registerOutputs({ serviceName: this.serviceName });
  }
}
