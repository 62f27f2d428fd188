/** Registry addresses as Docker names them (`host[:port]`, already validated by config/primitives' hostPort). */

/** The name part of `host[:port]`. */
export const hostName = (hostPort: string) => hostPort.replace(/:[0-9]+$/, "");

/** An IPv4 address written as four decimal octets. */
export const isIpv4 = (name: string) => /^(\d{1,3})(\.\d{1,3}){3}$/.test(name) && name.split(".").every((o) => Number(o) <= 255);

/** Traffic to it never leaves the machine: `localhost` (and its subdomains, RFC 6761) or 127.0.0.0/8. */
export function isLoopbackHost(hostPort: string): boolean {
  const name = hostName(hostPort).toLowerCase();
  return name === "localhost" || name.endsWith(".localhost") || (isIpv4(name) && name.startsWith("127."));
}
