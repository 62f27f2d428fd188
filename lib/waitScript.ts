/**
 * The readiness wait (lib/shell/wait-for-registry.sh): polls `<base>/v2/` a bounded number of times.
 * - Without `authenticated`, 200 (no auth) or 401 (auth on) means the registry is up.
 * - With it, the script sends `$REGISTRY_AUTHORIZATION` (an `Authorization` header value, from the command's
 *   environment, never in the script) and only 200 counts.
 * - With `$REGISTRY_CA` (a private CA's PEM) in the environment, curl verifies the registry against it alone.
 */
import { renderScript } from "./shellScript";

/** The `REGISTRY_AUTHORIZATION` value for a user and password: HTTP Basic. */
export const basicAuthorization = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;

export function waitForRegistryScript(baseUrl: string, attempts: number, intervalSeconds: number, hint: string, options: { authenticated?: boolean } = {}): string {
  if (!/^https?:\/\/[A-Za-z0-9.:-]+$/.test(baseUrl)) throw new Error(`registry URL must be http(s)://host[:port], got ${baseUrl}`);
  if (!Number.isInteger(attempts) || attempts < 1) throw new Error("attempts must be a positive integer");
  const authenticated = options.authenticated === true;
  return renderScript("wait-for-registry", {
    URL: `${baseUrl}/v2/`,
    ATTEMPTS: attempts,
    INTERVAL: intervalSeconds,
    // The header goes to curl on its standard input (the shell's builtin printf), never a command line.
    AUTH_HEADER: authenticated ? `printf 'Authorization: %s\\n' "$REGISTRY_AUTHORIZATION" | ` : "",
    AUTH_FLAG: authenticated ? " -H @-" : "",
    ACCEPTED: authenticated ? "200" : "200|401",
    WHAT: authenticated ? "200 with the push credentials" : "200 or 401",
    HINT: hint.replace(/["`$\\]/g, ""),
  });
}
