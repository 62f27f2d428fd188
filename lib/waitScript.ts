/**
 * A POSIX shell script that polls `<base>/v2/` until the registry answers 200 (no auth) or 401 (auth on),
 * with a bounded number of attempts, and fails with a message that says what to look at.
 */
export function waitForRegistryScript(baseUrl: string, attempts: number, intervalSeconds: number, hint: string): string {
  if (!/^https?:\/\/[A-Za-z0-9.:-]+$/.test(baseUrl)) throw new Error(`registry URL must be http(s)://host[:port], got ${baseUrl}`);
  if (!Number.isInteger(attempts) || attempts < 1) throw new Error("attempts must be a positive integer");
  const url = `${baseUrl}/v2/`;
  return [
    "set -u",
    "status=none",
    "i=0",
    `while [ "$i" -lt ${attempts} ]; do`,
    "  i=$((i + 1))",
    `  status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 '${url}' || true)`,
    `  case "$status" in 200|401) echo "registry ${url} answered $status after $i attempt(s)"; exit 0;; esac`,
    `  [ "$i" -lt ${attempts} ] && sleep ${intervalSeconds}`,
    "done",
    `echo "registry ${url} did not answer 200 or 401 after ${attempts} attempts ${intervalSeconds}s apart (last status: $status). ${hint.replace(/["`$\\]/g, "")}" >&2`,
    "exit 1",
  ].join("\n");
}
