import * as pulumi from "@pulumi/pulumi";
import { signScript } from "../lib/signScript";
import { shellCommand } from "../lib/shellCommand";

export interface ImageSignatureArgs {
  /** `repo@sha256:...` as pushed: the signature covers exactly that digest. */
  imageDigestRef: pulumi.Input<string>;
  /** cosign private key and its password (Pulumi secrets). */
  privateKey: pulumi.Input<string>;
  password: pulumi.Input<string>;
  /** Push credentials as a dockerconfigjson (a Pulumi secret); omitted for a registry without auth. */
  dockerConfigJson?: pulumi.Input<string>;
  /** The registry speaks plain HTTP (the addon, or a NodePort without TLS). */
  insecure: boolean;
  /** The registry's private CA (PEM), which cosign then verifies it against. */
  registryCa?: pulumi.Input<string>;
}

/** Signs a pushed digest with cosign after the push; a new digest signs again, an unchanged one does nothing. */
export class ImageSignature extends pulumi.ComponentResource {
  public readonly signed: pulumi.Resource;

  constructor(name: string, args: ImageSignatureArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:images:ImageSignature", name, {}, opts);
    const script = signScript({ insecure: args.insecure });
    this.signed = shellCommand(
      `${name}`,
      {
        script,
        triggers: [args.imageDigestRef],
        environment: {
          IMAGE_DIGEST_REF: args.imageDigestRef,
          COSIGN_PRIVATE_KEY: pulumi.secret(args.privateKey),
          COSIGN_PASSWORD: pulumi.secret(args.password),
          ...(args.dockerConfigJson ? { REGISTRY_DOCKER_CONFIG: pulumi.secret(args.dockerConfigJson) } : {}),
          ...(args.registryCa ? { REGISTRY_CA: args.registryCa } : {}),
        },
      },
      { parent: this, additionalSecretOutputs: ["stdout", "stderr"] },
    );
    this.registerOutputs({});
  }
}
