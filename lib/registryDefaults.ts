import { REGISTRY_NODE_PORT } from "./patterns";

/** Where the MicroK8s registry addon always serves: its NodePort on the node. */
export const ADDON_HOST = `localhost:${REGISTRY_NODE_PORT}`;
/** The MicroK8s registry addon refuses a smaller volume. */
export const ADDON_MIN_SIZE = "20Gi";
/** The namespace the MicroK8s registry addon deploys into. */
export const ADDON_NAMESPACE = "container-registry";
/** Where a root Docker daemon reads registry CAs (`<dir>/<host>/ca.crt`). */
export const DOCKER_CERTS_DIR = "/etc/docker/certs.d";
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

/** Where Docker on this machine reaches a managed registry: its configured host, else the NodePort on localhost. */
export function managedRegistryHost(settings: { host?: string; nodePort: number }): string {
  return settings.host ?? `localhost:${settings.nodePort}`;
}
