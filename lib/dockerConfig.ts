/** The `.dockerconfigjson` payload of a `kubernetes.io/dockerconfigjson` pull Secret. */
export function dockerConfigJson(server: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`).toString("base64");
  return JSON.stringify({ auths: { [server]: { username, password, auth } } });
}
