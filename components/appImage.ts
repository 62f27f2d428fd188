import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

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
    platform?: string;
    /** `host` where the daemon has no default bridge (locked-down CI, `dockerd --bridge=none`). */
    network?: string;
  };
  /** Push credentials; omitted for a registry without auth (the addon). */
  registry: { server: pulumi.Input<string>; username?: pulumi.Input<string>; password?: pulumi.Input<string> };
  /**
   * The registry speaks plain HTTP. The docker provider reads a tag's digest from the registry itself (not
   * through the daemon) and assumes https:// unless the address says otherwise.
   */
  insecure: boolean;
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
    const address = pulumi.interpolate`${args.insecure ? "http" : "https"}://${args.registry.server}`;
    for (const extra of args.extraTags) {
      const target = pulumi.interpolate`${args.repository}:${extra}`;
      const local = new docker.Tag(
        `${name}-tag-${extra}`,
        { sourceImage: image.imageName, targetImage: target, tagTriggers: [image.repoDigest] },
        { parent: this, dependsOn: args.waitFor },
      );
      new docker.RegistryImage(
        `${name}-push-${extra}`,
        {
          name: local.targetImage,
          // Deleting a moving tag by digest would delete every tag on that digest: leave it in the registry.
          keepRemotely: true,
          triggers: { digest: image.repoDigest },
          // Always given, with its scheme: without it the provider looks for a provider-level registryAuth
          // entry (none for the addon) and fails; a bare host:port is taken as https://.
          authConfig: args.registry.password === undefined ? { address } : pulumi.secret({ address, username: args.registry.username, password: args.registry.password }),
        },
        // It reads the tag's digest from the registry on every update (a credential rotation included),
        // so it waits, like the build, until a restarted registry answers again.
        { parent: this, dependsOn: args.waitFor },
      );
    }
    this.repoDigest = image.repoDigest;
    this.registerOutputs({ repoDigest: this.repoDigest });
  }
}
