/**
 * Checks a certificate of one's own before any resource exists, so a wrong file fails `pulumi preview` and
 * not the registry's start. Reads PEM with Node's crypto; messages never quote the material.
 */
import { createPrivateKey, X509Certificate } from "crypto";
import { hostName, isIpv4 } from "./hosts";

export interface TlsMaterial {
  certificate: string;
  key: string;
  ca: string;
}

/** The first certificate of a PEM bundle, or the reason it cannot be read. */
function firstCertificate(pem: string): X509Certificate | string {
  try {
    return new X509Certificate(pem);
  } catch {
    return "is not a PEM certificate (-----BEGIN CERTIFICATE-----)";
  }
}

/** Problems by secret key: unreadable, key not the certificate's, not signed by the CA, host not covered, expired. */
export function tlsMaterialProblems(material: TlsMaterial, registryHost: string, now = new Date()): { key: keyof TlsMaterial; problem: string }[] {
  const cert = firstCertificate(material.certificate);
  const ca = firstCertificate(material.ca);
  const problems: { key: keyof TlsMaterial; problem: string }[] = [];
  if (typeof cert === "string") problems.push({ key: "certificate", problem: cert });
  if (typeof ca === "string") problems.push({ key: "ca", problem: ca });
  let key;
  try {
    key = createPrivateKey(material.key);
  } catch {
    problems.push({ key: "key", problem: "is not a PEM private key" });
  }
  if (typeof cert === "string") return problems;
  if (key && !cert.checkPrivateKey(key)) problems.push({ key: "key", problem: "is not the private key of registryTlsCertificate" });
  if (typeof ca !== "string" && !cert.verify(ca.publicKey)) problems.push({ key: "ca", problem: "did not sign registryTlsCertificate (give the CA that issued it)" });
  const name = hostName(registryHost);
  const covered = isIpv4(name) ? cert.checkIP(name) !== undefined : cert.checkHost(name) !== undefined;
  if (!covered) problems.push({ key: "certificate", problem: `does not name ${name} (registry.host) in its subject alternative names` });
  if (new Date(cert.validTo).getTime() <= now.getTime()) problems.push({ key: "certificate", problem: `expired on ${cert.validTo}` });
  return problems;
}
