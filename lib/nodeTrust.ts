/**
 * What a node's containerd reads to trust a registry: `<certs.d>/<host>/hosts.toml`, and with TLS the CA
 * beside it (containerd's hosts format, the one MicroK8s's CRI `config_path` reads). Pure, so the files
 * the node-trust DaemonSet writes and the ones the README shows for a host set up by hand are the same.
 */
export const CA_FILE = "ca.crt";

/** `hosts.toml` for `host` (`name[:port]`): HTTPS verified against ca.crt, or plain HTTP for a registry without TLS. */
export function containerdHostsToml(host: string, options: { tls: boolean }): string {
  const url = `${options.tls ? "https" : "http"}://${host}`;
  return [
    `server = "${url}"`,
    "",
    `[host."${url}"]`,
    '  capabilities = ["pull", "resolve"]',
    ...(options.tls ? [`  ca = "${CA_FILE}"`] : []),
    "",
  ].join("\n");
}
