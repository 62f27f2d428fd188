/**
 * Signs one pushed image digest with cosign and a key from Pulumi secret config, with no transparency log
 * (a private registry has no public Rekor entry to make). Everything secret arrives in the environment:
 * COSIGN_PRIVATE_KEY and COSIGN_PASSWORD, and REGISTRY_DOCKER_CONFIG (a dockerconfigjson) written to a
 * private temporary DOCKER_CONFIG so no password is on a command line. With REGISTRY_CA (a private CA's
 * PEM) cosign verifies the registry against it (caTrustLines).
 */
import { caTrustLines } from "./caTrust";
import { digestGuard } from "./digestGuard";

export const COSIGN_MISSING =
  "images.sign is enabled but cosign is not installed on the machine running pulumi up: install cosign " +
  "(https://docs.sigstore.dev/cosign/system_config/installation/) or set images.sign.enabled to false";

export function signScript(options: { allowHttpRegistry: boolean }): string {
  const http = options.allowHttpRegistry ? " --allow-http-registry --allow-insecure-registry" : "";
  return [
    "set -eu",
    `command -v cosign >/dev/null 2>&1 || { echo "${COSIGN_MISSING}" >&2; exit 1; }`,
    digestGuard("sign"),
    "work=$(mktemp -d)",
    "trap 'rm -rf \"$work\"' EXIT",
    'if [ -n "${REGISTRY_DOCKER_CONFIG:-}" ]; then',
    '  DOCKER_CONFIG="$work"',
    '  export DOCKER_CONFIG',
    '  (umask 077; printf %s "$REGISTRY_DOCKER_CONFIG" > "$DOCKER_CONFIG/config.json")',
    "fi",
    ...caTrustLines(),
    `cosign sign --yes --key env://COSIGN_PRIVATE_KEY --tlog-upload=false${http} "$IMAGE_DIGEST_REF"`,
    'echo "signed $IMAGE_DIGEST_REF"',
  ].join("\n");
}
