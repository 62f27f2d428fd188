import * as pulumi from "@pulumi/pulumi";
import type { ScanGate } from "../lib/scanScript";
import { AppBuildPlan, BuildableApp, pullPolicyFor } from "../lib/appBuildPlan";
import { secretKeyFor } from "../lib/appEnv";
import { AppImage } from "./appImage";
import type { AppNamespace } from "./appNamespace";
import { AppWorkload, AppWorkloadSpec } from "./appWorkload";
import type { SeverityCounts } from "../lib/scanScript";
import { ImageScan } from "./imageScan";
import { ImageSignature } from "./imageSignature";
import { givenOrGenerated } from "./secretValue";
import type { RegistryAccess } from "./privateRegistry";

/** What the deployment reads of an app (config's AppSettings has this shape). */
export interface AppDeploymentSpec extends AppWorkloadSpec {
  namespace: string;
  /** A prebuilt image, deployed as given, when there is no build plan. */
  image?: string;
  build?: BuildableApp["build"];
}

/** `appSecrets.<app>.<NAME>` as a Pulumi secret, or undefined when not set (one is then generated). */
export type AppSecretSource = (app: string, name: string) => pulumi.Output<string> | undefined;

export interface AppDeploymentArgs {
  app: AppDeploymentSpec;
  /** For an app built from source: what to build and how to tag it, decided during config validation. */
  build?: AppBuildPlan;
  registry: RegistryAccess;
  namespace: AppNamespace;
  /** `appSecrets.<app>.<NAME>` from secret config; missing ones are generated. */
  appSecret?: AppSecretSource;
  /** The cosign key and its password: sign the pushed digest before the workload runs it. */
  sign?: { privateKey: pulumi.Input<string>; password: pulumi.Input<string> };
  /** The vulnerability gate, when images.scan is on: the workload waits for it, and a finding stops the update. */
  scan?: ScanGate;
}

/** BUILD -> TAG -> PUSH -> RUN for one app: its image (unless prebuilt), then its workload pinned by digest. */
export class AppDeployment extends pulumi.ComponentResource {
  /** `repo@sha256:...` (or the prebuilt reference). */
  public readonly image: pulumi.Output<string>;
  public readonly tag?: string;
  public readonly serviceName: pulumi.Output<string>;
  public readonly namespace: pulumi.Output<string>;
  /** The scan's findings by severity, when images.scan is on and the image was built here. */
  public readonly scanFindings?: pulumi.Output<SeverityCounts>;
  /** The built and pushed image, unless the app is prebuilt. */
  public readonly builtImage?: AppImage;
  public readonly workload: AppWorkload;

  constructor(name: string, args: AppDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:apps:AppDeployment", name, {}, opts);
    const app = args.app;
    const child = { parent: this };
    /** Steps the workload waits for: the signature (images.sign) and the scan (images.scan) of the pushed digest. */
    const gates: pulumi.Resource[] = [];

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
          dockerConfigJson: args.registry.credentials?.pushDockerConfigJson,
          waitFor: args.registry.ready ? [args.registry.ready] : [],
        },
        child,
      );
      this.builtImage = built;
      this.image = built.repoDigest;
      if (args.sign) {
        const signature = new ImageSignature(
          `${name}-signature`,
          {
            imageDigestRef: built.repoDigest,
            privateKey: args.sign.privateKey,
            password: args.sign.password,
            dockerConfigJson: args.registry.credentials?.pushDockerConfigJson,
            insecure: args.registry.insecure,
            registryCa: args.registry.ca,
          },
          child,
        );
        gates.push(signature.signed);
      }
      if (args.scan) {
        const scan = new ImageScan(
          `${name}-scan`,
          { imageDigestRef: built.repoDigest, dockerConfigJson: args.registry.credentials?.pushDockerConfigJson, insecure: args.registry.insecure, registryCa: args.registry.ca, settings: args.scan },
          child,
        );
        gates.push(scan.scanned);
        this.scanFindings = scan.findings;
      }
    } else if (app.image) {
      this.image = pulumi.output(app.image);
    } else {
      throw new Error(`${name}: the app has neither a build plan nor an image`);
    }

    const secretValues = Object.fromEntries(
      app.secretEnv.map((env) => [
        env,
        givenOrGenerated(`${name}-${secretKeyFor(env)}`, args.appSecret?.(app.name, env), this),
      ]),
    );
    this.workload = new AppWorkload(
      `${name}`,
      {
        app,
        namespace: args.namespace.name,
        image: this.image,
        imagePullPolicy: pullPolicyFor(app),
        pullSecretName: args.namespace.pullSecretName,
        secretValues,
        waitFor: gates,
      },
      child,
    );
    this.serviceName = this.workload.serviceName;
    this.namespace = args.namespace.name;
    this.registerOutputs({ image: this.image, serviceName: this.serviceName, namespace: this.namespace });
  }
}
