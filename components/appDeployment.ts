import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { AppSettings } from "../config/appsSchema";
import { isDigestPinned } from "../lib/imageRef";
import type { PipelineSecrets } from "../config/load";
import type { AppBuildPlan } from "../lib/appBuildPlan";
import { AppImage } from "./appImage";
import type { AppNamespace } from "./appNamespace";
import { AppWorkload } from "./appWorkload";
import { ImageSignature } from "./imageSignature";
import type { RegistryAccess } from "./privateRegistry";

export interface AppDeploymentArgs {
  app: AppSettings;
  /** For an app built from source: what to build and how to tag it, decided during config validation. */
  build?: AppBuildPlan;
  registry: RegistryAccess;
  namespace: AppNamespace;
  /** Where `appSecrets.<app>.<NAME>` come from; missing ones are generated. */
  secrets: PipelineSecrets;
  /** Sign the pushed digest with cosign before the workload runs it. */
  sign: boolean;
}

/** BUILD -> TAG -> PUSH -> RUN for one app: its image (unless prebuilt), then its workload pinned by digest. */
export class AppDeployment extends pulumi.ComponentResource {
  /** `repo@sha256:...` (or the prebuilt reference). */
  public readonly image: pulumi.Output<string>;
  public readonly tag?: string;
  public readonly serviceName: pulumi.Output<string>;
  public readonly namespace: pulumi.Output<string>;
  /** The signing step, when images.sign is on: the workload waits for it. */
  public readonly signed?: pulumi.Resource;

  constructor(name: string, args: AppDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:apps:AppDeployment", name, {}, opts);
    const app = args.app;
    const child = { parent: this };

    if (args.build) {
      const plan = args.build;
      this.tag = plan.tag;
      const built = new AppImage(
        `${name}-image`,
        {
          repository: pulumi.interpolate`${args.registry.host}/${app.namespace}/${app.name}`,
          tag: plan.tag,
          extraTags: plan.extraTags,
          build: { context: plan.context, dockerfile: plan.dockerfile, args: plan.buildArgs, target: plan.target, platform: plan.platform, network: plan.network },
          registry: {
            server: args.registry.host,
            username: args.registry.credentials?.username,
            password: args.registry.credentials?.password,
          },
          insecure: args.registry.insecure,
          waitFor: args.registry.ready ? [args.registry.ready] : [],
        },
        child,
      );
      this.image = built.repoDigest;
      if (args.sign) {
        const signature = new ImageSignature(
          `${name}-signature`,
          {
            imageDigestRef: built.repoDigest,
            privateKey: args.secrets.cosignPrivateKey as pulumi.Output<string>,
            password: args.secrets.cosignPassword as pulumi.Output<string>,
            dockerConfigJson: args.registry.credentials?.pushDockerConfigJson,
            allowHttpRegistry: args.registry.insecure,
          },
          child,
        );
        this.signed = signature.signed;
      }
    } else {
      this.image = pulumi.output(app.image as string);
    }

    const secretValues = Object.fromEntries(
      app.secretEnv.map((env) => [
        env,
        args.secrets.appSecret?.(app.name, env) ??
          new random.RandomPassword(`${name}-${env.toLowerCase().replace(/_/g, "-")}`, { length: 32, special: false }, child).result,
      ]),
    );
    const workload = new AppWorkload(
      `${name}`,
      {
        app,
        namespace: args.namespace.name,
        image: this.image,
        imagePullPolicy: args.build || isDigestPinned(app.image ?? "") ? "IfNotPresent" : "Always",
        version: app.version,
        pullSecretName: args.namespace.pullSecretName,
        secretValues,
        waitFor: this.signed ? [this.signed] : [],
      },
      child,
    );
    this.serviceName = workload.serviceName;
    this.namespace = args.namespace.name;
    this.registerOutputs({ image: this.image, serviceName: this.serviceName, namespace: this.namespace });
  }
}
