/**
 * Double of the tls provider for the four resources the program uses, making real keys (Node's crypto) and
 * real X.509 certificates and requests (node-forge), with the real provider's rules:
 * - every input forces a replacement (the provider is a bridged Terraform one, all attributes ForceNew);
 * - secret exactly what its schema marks secret: PrivateKey's privateKeyPem and privateKeyPemPkcs8,
 *   SelfSignedCert's and CertRequest's privateKeyPem, LocallySignedCert's caPrivateKeyPem;
 * - a certificate within `earlyRenewalHours` of its end is `readyForRenewal`, and the next diff replaces it.
 *   That check's clock is the machine's, or TLS_DOUBLE_NOW (an ISO time) so a test can move it; certificates
 *   are always issued by the machine's clock, which the clients verifying them read.
 * RSA keys only (what the program makes); privateKeyOpenssh is not produced.
 */
import { createHash, generateKeyPairSync, randomBytes } from "crypto";
import * as forge from "node-forge";
import { changedKeys, Props, reveal, sdkVersion, secret, serve, typeOf } from "./wire";

const TYPES = {
  privateKey: "tls:index/privateKey:PrivateKey",
  selfSigned: "tls:index/selfSignedCert:SelfSignedCert",
  request: "tls:index/certRequest:CertRequest",
  locallySigned: "tls:index/locallySignedCert:LocallySignedCert",
};
const INPUTS: Record<string, string[]> = {
  [TYPES.privateKey]: ["algorithm", "rsaBits", "ecdsaCurve"],
  [TYPES.selfSigned]: ["privateKeyPem", "subject", "validityPeriodHours", "allowedUses", "dnsNames", "ipAddresses", "uris", "isCaCertificate", "earlyRenewalHours", "setSubjectKeyId", "setAuthorityKeyId"],
  [TYPES.request]: ["privateKeyPem", "subject", "dnsNames", "ipAddresses", "uris"],
  [TYPES.locallySigned]: ["certRequestPem", "caPrivateKeyPem", "caCertPem", "validityPeriodHours", "allowedUses", "isCaCertificate", "earlyRenewalHours", "setSubjectKeyId"],
};

/** The renewal check's clock. */
const now = () => (process.env.TLS_DOUBLE_NOW ? new Date(process.env.TLS_DOUBLE_NOW) : new Date());
const HOUR_MS = 3_600_000;

const SUBJECT_FIELDS: Record<string, string> = {
  commonName: "commonName",
  organization: "organizationName",
  organizationalUnit: "organizationalUnitName",
  country: "countryName",
  locality: "localityName",
  province: "stateOrProvinceName",
};
const subjectAttributes = (subject: Props | undefined) =>
  Object.entries(subject ?? {})
    .filter(([key, value]) => SUBJECT_FIELDS[key] && value)
    .map(([key, value]) => ({ name: SUBJECT_FIELDS[key], value: String(value) }));

const altNames = (dnsNames: string[] = [], ipAddresses: string[] = []) => [
  ...dnsNames.map((value) => ({ type: 2, value })),
  ...ipAddresses.map((ip) => ({ type: 7, ip })),
];

/** The provider's `allowedUses` as X.509 key usage and extended key usage extensions. */
function usageExtensions(uses: string[] = []): object[] {
  const has = (u: string) => uses.includes(u);
  const keyUsage = { name: "keyUsage", critical: true, digitalSignature: has("digitalSignature"), keyEncipherment: has("keyEncipherment"), keyCertSign: has("certSigning"), cRLSign: has("crlSigning") };
  const ext = { name: "extKeyUsage", serverAuth: has("serverAuth"), clientAuth: has("clientAuth") };
  return [keyUsage, ...(has("serverAuth") || has("clientAuth") ? [ext] : [])];
}

/** A positive serial number, as RFC 5280 requires. */
const serialNumber = () => `01${randomBytes(15).toString("hex")}`;

function signed(p: Props, subject: forge.pki.CertificateField[], publicKey: forge.pki.PublicKey, issuer: forge.pki.CertificateField[], signer: forge.pki.rsa.PrivateKey, sans: object[]): Props {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serialNumber();
  // Issued by the real clock: clients verify it by theirs.
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(cert.validity.notBefore.getTime() + Number(p.validityPeriodHours) * HOUR_MS);
  cert.setSubject(subject);
  cert.setIssuer(issuer);
  cert.setExtensions([
    { name: "basicConstraints", critical: true, cA: Boolean(p.isCaCertificate) },
    ...usageExtensions(p.allowedUses),
    ...(sans.length > 0 ? [{ name: "subjectAltName", altNames: sans }] : []),
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(signer, forge.md.sha256.create());
  return {
    certPem: forge.pki.certificateToPem(cert),
    validityStartTime: cert.validity.notBefore.toISOString(),
    validityEndTime: cert.validity.notAfter.toISOString(),
    readyForRenewal: false,
    id: BigInt(`0x${cert.serialNumber}`).toString(),
  };
}

function makePrivateKey(p: Props): Props {
  if ((p.algorithm ?? "RSA") !== "RSA") throw new Error(`the tls double makes RSA keys only, not ${p.algorithm}`);
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: Number(p.rsaBits ?? 2048) });
  const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  return {
    id: createHash("sha1").update(publicKeyPem).digest("hex"),
    privateKeyPem: secret(privateKey.export({ type: "pkcs1", format: "pem" }).toString()),
    privateKeyPemPkcs8: secret(privateKey.export({ type: "pkcs8", format: "pem" }).toString()),
    publicKeyPem,
    publicKeyFingerprintSha256: `SHA256:${createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("base64").replace(/=+$/, "")}`,
  };
}

/** The subject alternative names a request asks for (its extensionRequest attribute). */
function requestedNames(csr: forge.pki.CertificateSigningRequest): object[] {
  const attribute = csr.getAttribute({ name: "extensionRequest" }) as { extensions?: { name: string; altNames?: object[] }[] } | null;
  return attribute?.extensions?.find((e) => e.name === "subjectAltName")?.altNames ?? [];
}

function create(type: string, inputs: Props): { id: string; outs: Props } {
  const p = reveal<Props>(inputs);
  switch (type) {
    case TYPES.privateKey: {
      const { id, ...outs } = makePrivateKey(p);
      return { id, outs: { algorithm: "RSA", rsaBits: p.rsaBits ?? 2048, ...outs } };
    }
    case TYPES.selfSigned: {
      const key = forge.pki.privateKeyFromPem(p.privateKeyPem) as forge.pki.rsa.PrivateKey;
      const publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
      const subject = subjectAttributes(p.subject);
      const { id, ...outs } = signed(p, subject, publicKey, subject, key, altNames(p.dnsNames, p.ipAddresses));
      return { id, outs: { ...inputs, privateKeyPem: secret(p.privateKeyPem), keyAlgorithm: "RSA", ...outs } };
    }
    case TYPES.request: {
      const key = forge.pki.privateKeyFromPem(p.privateKeyPem) as forge.pki.rsa.PrivateKey;
      const csr = forge.pki.createCertificationRequest();
      csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
      csr.setSubject(subjectAttributes(p.subject));
      const sans = altNames(p.dnsNames, p.ipAddresses);
      if (sans.length > 0) csr.setAttributes([{ name: "extensionRequest", extensions: [{ name: "subjectAltName", altNames: sans }] }]);
      csr.sign(key, forge.md.sha256.create());
      const certRequestPem = forge.pki.certificationRequestToPem(csr);
      return { id: createHash("sha1").update(certRequestPem).digest("hex"), outs: { ...inputs, privateKeyPem: secret(p.privateKeyPem), keyAlgorithm: "RSA", certRequestPem } };
    }
    case TYPES.locallySigned: {
      const csr = forge.pki.certificationRequestFromPem(p.certRequestPem);
      if (!csr.verify()) throw new Error("certRequestPem: the request's signature does not verify");
      const ca = forge.pki.certificateFromPem(p.caCertPem);
      const caKey = forge.pki.privateKeyFromPem(p.caPrivateKeyPem) as forge.pki.rsa.PrivateKey;
      const { id, ...outs } = signed(p, csr.subject.attributes as forge.pki.CertificateField[], csr.publicKey as forge.pki.PublicKey, ca.subject.attributes as forge.pki.CertificateField[], caKey, requestedNames(csr));
      return { id, outs: { ...inputs, caPrivateKeyPem: secret(p.caPrivateKeyPem), caKeyAlgorithm: "RSA", ...outs } };
    }
    default:
      throw new Error(`the tls double does not implement ${type}`);
  }
}

/** The provider's renewal check: within earlyRenewalHours of validityEndTime, the certificate is replaced. */
function dueForRenewal(olds: Props): boolean {
  if (!olds.validityEndTime) return false;
  const renewAt = new Date(olds.validityEndTime).getTime() - Number(olds.earlyRenewalHours ?? 0) * HOUR_MS;
  return now().getTime() >= renewAt;
}

serve({
  version: sdkVersion("tls"),
  async diff(_id, urn, olds, news) {
    const type = typeOf(urn);
    const replaces = changedKeys(olds, news, INPUTS[type] ?? []);
    if ((type === TYPES.selfSigned || type === TYPES.locallySigned) && dueForRenewal(olds)) replaces.push("readyForRenewal");
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },
  async create(urn, inputs) {
    return create(typeOf(urn), inputs);
  },
});
