/**
 * Pushes a moving tag (latest, stable) of an image just pushed by digest and checks that the registry
 * stored it on that digest (lib/shell/push-tag.sh). Inputs come in the environment: SOURCE_IMAGE,
 * TARGET_IMAGE, IMAGE_DIGEST_REF and REGISTRY_DOCKER_CONFIG (secret).
 */
import { renderScript } from "./shellScript";

export const pushTagScript = (): string =>
  renderScript("push-tag", { DIGEST_GUARD: renderScript("digest-guard", { VERB: "tag" }), DOCKER_CONFIG: renderScript("docker-config") });
