/**
 * Signs one pushed image digest with cosign and a key from Pulumi secret config (lib/shell/sign.sh). With
 * REGISTRY_CA (a private CA's PEM) in the environment, cosign verifies the registry against it.
 */
import { renderScript } from "./shellScript";

export const COSIGN_MISSING =
  "images.sign is enabled but cosign is not installed on the machine running pulumi up: install cosign " +
  "(https://docs.sigstore.dev/cosign/system_config/installation/) or set images.sign.enabled to false";

export function signScript(options: { insecure: boolean }): string {
  return renderScript("sign", {
    COSIGN_MISSING,
    DIGEST_GUARD: renderScript("digest-guard", { VERB: "sign" }),
    DOCKER_CONFIG: renderScript("docker-config"),
    CA_TRUST: renderScript("ca-trust"),
    HTTP_FLAGS: options.insecure ? " --allow-http-registry --allow-insecure-registry" : "",
  });
}
