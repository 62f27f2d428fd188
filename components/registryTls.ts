import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

/** A generated server certificate is renewed on the first `up` within this many days of its end. */
export const RENEW_BEFORE_DAYS = 30;
/** The generated CA outlives many server certificates, so nodes that trust it keep trusting the registry. */
const CA_VALIDITY_DAYS = 3650;
const HOURS_PER_DAY = 24;

export interface RegistryTlsArgs {
  /** A certificate of one's own (secret config); without it a private CA and a server certificate are made. */
  given?: { certificate: pulumi.Input<string>; key: pulumi.Input<string>; ca: pulumi.Input<string> };
  /** Names the generated certificate covers: registry.host's name and the in-cluster Service names. */
  dnsNames: pulumi.Input<string>[];
  ipAddresses: string[];
  /** The generated server certificate's lifetime. */
  validityDays: number;
}

/**
 * The managed registry's certificate, key and CA. Generated ones come from `@pulumi/tls`: RSA keys (what
 * every client here reads), a CA that stays across renewals, and a server certificate the provider replaces
 * on an `up` within RENEW_BEFORE_DAYS of its end (its `readyForRenewal`).
 */
export class RegistryTls extends pulumi.ComponentResource {
  /** PEM; not secret. */
  public readonly certificate: pulumi.Output<string>;
  /** PEM; a Pulumi secret. */
  public readonly key: pulumi.Output<string>;
  /** PEM of the CA that clients and nodes trust; not secret (a certificate is public). */
  public readonly ca: pulumi.Output<string>;

  constructor(name: string, args: RegistryTlsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:registry:RegistryTls", name, {}, opts);
    if (args.given) {
      this.certificate = pulumi.unsecret(pulumi.output(args.given.certificate));
      this.key = pulumi.secret(args.given.key);
      this.ca = pulumi.unsecret(pulumi.output(args.given.ca));
    } else {
      const child = { parent: this };
      const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "RSA", rsaBits: 3072 }, child);
      const caCert = new tls.SelfSignedCert(
        `${name}-ca`,
        {
          privateKeyPem: caKey.privateKeyPem,
          isCaCertificate: true,
          subject: { commonName: `${pulumi.getProject()} ${pulumi.getStack()} registry CA`, organization: pulumi.getProject() },
          validityPeriodHours: CA_VALIDITY_DAYS * HOURS_PER_DAY,
          allowedUses: ["certSigning", "crlSigning", "digitalSignature"],
        },
        child,
      );
      const serverKey = new tls.PrivateKey(`${name}-key`, { algorithm: "RSA", rsaBits: 2048 }, child);
      const request = new tls.CertRequest(
        `${name}-request`,
        { privateKeyPem: serverKey.privateKeyPem, subject: { commonName: args.dnsNames[0] }, dnsNames: args.dnsNames, ipAddresses: args.ipAddresses },
        child,
      );
      const serverCert = new tls.LocallySignedCert(
        `${name}-cert`,
        {
          certRequestPem: request.certRequestPem,
          caPrivateKeyPem: caKey.privateKeyPem,
          caCertPem: caCert.certPem,
          validityPeriodHours: args.validityDays * HOURS_PER_DAY,
          earlyRenewalHours: RENEW_BEFORE_DAYS * HOURS_PER_DAY,
          allowedUses: ["digitalSignature", "keyEncipherment", "serverAuth"],
        },
        child,
      );
      this.certificate = serverCert.certPem;
      this.key = pulumi.secret(serverKey.privateKeyPem);
      this.ca = caCert.certPem;
    }
    this.registerOutputs({ certificate: this.certificate, ca: this.ca });
  }
}
