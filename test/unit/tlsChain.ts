/** Test certificates made in memory: RSA keys from Node's crypto, certificates signed with node-forge. */
import { generateKeyPairSync } from "crypto";
import * as forge from "node-forge";

export /** A CA and a leaf it signed for `names`, made with Node's keys and node-forge. */
function makeChain(names: { dns?: string[]; ip?: string[] }, options: { expired?: boolean } = {}) {
  const key = () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
    return { pem, forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
  };
  const issue = (subject: string, publicKey: forge.pki.PublicKey, signer: forge.pki.rsa.PrivateKey, issuer: string, ca: boolean) => {
    const cert = forge.pki.createCertificate();
    cert.publicKey = publicKey;
    cert.serialNumber = "01";
    cert.validity.notBefore = new Date(Date.now() - (options.expired ? 3 : 1) * 86_400_000);
    cert.validity.notAfter = new Date(Date.now() + (options.expired && !ca ? -1 : 1) * 86_400_000);
    cert.setSubject([{ name: "commonName", value: subject }]);
    cert.setIssuer([{ name: "commonName", value: issuer }]);
    const sans = [...(names.dns ?? []).map((value) => ({ type: 2, value })), ...(names.ip ?? []).map((ip) => ({ type: 7, ip }))];
    cert.setExtensions([{ name: "basicConstraints", cA: ca }, ...(ca ? [] : [{ name: "subjectAltName", altNames: sans }])]);
    cert.sign(signer, forge.md.sha256.create());
    return forge.pki.certificateToPem(cert);
  };
  const caKey = key();
  const leafKey = key();
  return {
    ca: issue("test CA", caKey.publicKey, caKey.forgeKey, "test CA", true),
    certificate: issue("registry", leafKey.publicKey, caKey.forgeKey, "test CA", false),
    key: leafKey.pem,
    otherKey: key().pem,
  };
}

