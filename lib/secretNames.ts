/**
 * Names and values that carry credentials: such values must come from a Secret (secretKeyRef), never a
 * plain env value or a build arg. Shared by the program's config check and the policy pack so both say
 * the same thing. Names of files or settings about a credential (..._PATH, ..._FILE, ..._DIR, ..._REALM)
 * are not credentials.
 */
export const SECRET_LOOKING_ENV = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;
/** Short credential words, matched only as whole `_`-separated words: `DB_PASS`, `PG_DSN`, not `COMPASS_URL`, `BYPASS_CACHE`. */
const CREDENTIAL_WORDS = new Set(["PASS", "PWD", "DSN"]);
const ABOUT_A_CREDENTIAL = /_(PATH|FILE|DIR|REALM)$/i;

/** nginx's `proxy_pass` directive (the web UI's NGINX_PROXY_PASS_URL): a URL, not a password. */
const PROXY_PASS = /(^|_)PROXY_PASS(_|$)/i;

export function looksLikeCredential(envName: string): boolean {
  if (ABOUT_A_CREDENTIAL.test(envName)) return false;
  const words = envName.toUpperCase().replace(PROXY_PASS, "$1PROXY$2").split("_");
  return SECRET_LOOKING_ENV.test(envName) || words.some((word) => CREDENTIAL_WORDS.has(word));
}

/** `scheme://user:password@host...`: a URL that carries a password in its userinfo. */
const URL_WITH_PASSWORD = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/@:]*:[^\s/@]*@/;

/** Whether a plain value carries a credential in a URL (`postgres://app:pw@db/app`). */
export function carriesUrlCredential(value: string): boolean {
  return URL_WITH_PASSWORD.test(value);
}
