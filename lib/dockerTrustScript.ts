/**
 * Makes the pushing Docker daemon trust the registry's CA, or stops before the push with the one command
 * that does (lib/shell/docker-trust.sh). Inputs come in the environment: REGISTRY_CA (PEM, not secret),
 * REGISTRY_HOST, DOCKER_CERTS_DIR, STAGED_CA_NAME (the staged file's name in $TMPDIR).
 */
import { renderScript } from "./shellScript";

export const dockerTrustScript = (): string => renderScript("docker-trust");
