/**
 * What the node-trust DaemonSet's container runs on each node (lib/shell/node-trust.sh). Inputs come in the
 * environment: REGISTRY_HOST, NODE_CERTS_DIR (the node folder's mount), TRUST_FILES (the ConfigMap's mount).
 */
import { renderScript } from "./shellScript";

/** The file that marks a node folder as written by the DaemonSet, so it removes only its own. */
export const TRUST_MARKER = ".microk8s-pipeline-node-trust";

export const nodeTrustScript = (): string => renderScript("node-trust", { MARKER: TRUST_MARKER });
