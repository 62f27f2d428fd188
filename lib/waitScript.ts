/**
 * A POSIX shell script that polls `<base>/v2/` until the registry answers, with a bounded number of
 * attempts, and fails with a message that says what to look at.
 * - Without `authenticated`, 200 (no auth) or 401 (auth on) means the registry is up.
 * - With it, the script sends `$REGISTRY_AUTHORIZATION` (an `Authorization` header value, from the command's
 *   environment, never in the script) and only 200 counts: after a credential rotation it waits until the
 *   registry serving the port has the new htpasswd, so nothing pushes to (or reads from) a registry that
 *   would refuse it. The header reaches curl on its standard input (`-H @-`, written by the shell's
 *   builtin printf), never on a command line, where `ps` and `/proc/<pid>/cmdline` would show it.
 * - With `$REGISTRY_CA` (a private CA's PEM) in the environment, curl verifies the registry against it alone.
 */
/** The `REGISTRY_AUTHORIZATION` value for a user and password: HTTP Basic. */
export const basicAuthorization = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;

export function waitForRegistryScript(baseUrl: string, attempts: number, intervalSeconds: number, hint: string, options: { authenticated?: boolean } = {}): string {
  if (!/^https?:\/\/[A-Za-z0-9.:-]+$/.test(baseUrl)) throw new Error(`registry URL must be http(s)://host[:port], got ${baseUrl}`);
  if (!Number.isInteger(attempts) || attempts < 1) throw new Error("attempts must be a positive integer");
  const url = `${baseUrl}/v2/`;
  const [header, auth, accepted, what] = options.authenticated
    ? [`printf 'Authorization: %s\\n' "$REGISTRY_AUTHORIZATION" | `, " -H @-", "200", "200 with the push credentials"]
    : ["", "", "200|401", "200 or 401"];
  return [
    "set -u",
    "status=none",
    'ca=""',
    'if [ -n "${REGISTRY_CA:-}" ]; then ca=$(mktemp); trap \'rm -f "$ca"\' EXIT; printf "%s\\n" "$REGISTRY_CA" > "$ca"; fi',
    "i=0",
    `while [ "$i" -lt ${attempts} ]; do`,
    "  i=$((i + 1))",
    `  status=$(${header}curl -s -o /dev/null -w '%{http_code}' --max-time 5\${ca:+ --cacert "$ca"}${auth} '${url}' || true)`,
    `  case "$status" in ${accepted}) echo "registry ${url} answered $status after $i attempt(s)"; exit 0;; esac`,
    `  [ "$i" -lt ${attempts} ] && sleep ${intervalSeconds}`,
    "done",
    `echo "registry ${url} did not answer ${what} after ${attempts} attempts ${intervalSeconds}s apart (last status: $status). ${hint.replace(/["`$\\]/g, "")}" >&2`,
    "exit 1",
  ].join("\n");
}
