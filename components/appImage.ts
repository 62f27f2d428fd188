import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { pushTagScript } from "../lib/pushTagScript";
import { shellCommand } from "../lib/shellCommand";

export interface AppImageArgs {
  /** `<registry host>/<namespace>/<app>`, without a tag. */
  repository: pulumi.Input<string>;
  /** The primary tag from the tag strategy. */
  tag: string;
  /** Moving tags (latest, stable) pushed to the same digest; never used to deploy. */
  extraTags: string[];
  build: {
    context: string;
    dockerfile: string;
    args: Record<string, pulumi.Input<string>>;
    target?: string;
    /** Always set, so the provider need not guess it (and say so on every preview). */
    platform: string;
    /** `host` where the daemon has no default bridge (locked-down CI, `dockerd --bridge=none`). */
    network?: string;
  };
  /** Push credentials; omitted for a registry without auth (the addon). */
  registry: { server: pulumi.Input<string>; username?: pulumi.Input<string>; password?: pulumi.Input<string> };
  /** The same push credentials as a dockerconfigjson (a Pulumi secret), for the moving tags' pushes. */
  dockerConfigJson?: pulumi.Input<string>;
  /** Wait for these (the registry's readiness check) before pushing. */
  waitFor?: pulumi.Input<pulumi.Resource>[];
}

/**
 * BUILD, TAG and PUSH through the docker provider. The provider hashes the build context (honouring
 * .dockerignore), so an unchanged context builds nothing; `repoDigest` changes with every new push, so
 * deploying it rolls the Deployment exactly when the image changed.
 */
export class AppImage extends pulumi.ComponentResource {
  /** `repo@sha256:...`: what Deployments run. */
  public readonly repoDigest: pulumi.Output<string>;

  constructor(name: string, args: AppImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:images:AppImage", name, {}, opts);
    const image = new docker.Image(
      `${name}`,
      {
        imageName: pulumi.interpolate`${args.repository}:${args.tag}`,
        build: { ...args.build, builderVersion: "BuilderBuildKit" },
        registry: args.registry,
        skipPush: false,
      },
      { parent: this, dependsOn: args.waitFor },
    );
    // Moving tags go through the daemon, like the build's push, so they trust what it trusts (a private CA
    // in /etc/docker/certs.d); the provider's RegistryImage would read the registry with the system roots.
    // Never deleted: deleting a moving tag by digest would delete every tag on that digest.
    const script = pushTagScript();
    for (const extra of args.extraTags) {
      const target = pulumi.interpolate`${args.repository}:${extra}`;
      shellCommand(
        `${name}-push-${extra}`,
        {
          script,
          triggers: [image.repoDigest, target],
          environment: {
            SOURCE_IMAGE: image.imageName,
            TARGET_IMAGE: target,
            IMAGE_DIGEST_REF: image.repoDigest,
            ...(args.dockerConfigJson ? { REGISTRY_DOCKER_CONFIG: pulumi.secret(args.dockerConfigJson) } : {}),
          },
        },
        { parent: this, dependsOn: args.waitFor },
      );
    }
    this.repoDigest = image.repoDigest;
    this.registerOutputs({ repoDigest: this.repoDigest });
  }
}
