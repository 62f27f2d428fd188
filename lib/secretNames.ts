/**
 * Env var names that look like credentials: their values must come from a Secret (secretKeyRef), never
 * a plain value. Shared by the program's config check and the policy pack so both say the same thing.
 * Names of files or settings about a credential (..._PATH, ..._FILE, ..._REALM) are not credentials.
 */
export const SECRET_LOOKING_ENV = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;
const ABOUT_A_CREDENTIAL = /_(PATH|FILE|DIR|REALM)$/i;

export function looksLikeCredential(envName: string): boolean {
  return SECRET_LOOKING_ENV.test(envName) && !ABOUT_A_CREDENTIAL.test(envName);
}
