import { dockerOk, NODE_BASE_IMAGE } from "./testEnv";
import { SAMPLE_APP_DIR, withLocalNpm } from "./npmRegistry";

export const SAMPLE_APP_IMAGE = "microk8s-pipeline-test/web:it";
let built: Promise<string> | undefined;

/**
 * Builds app/ on the local Node base image (once per test file), as the Dockerfile's ARG allows, with its
 * npm packages from the loopback registry.
 */
export function buildSampleApp(): Promise<string> {
  built ??= withLocalNpm((npmSecret) =>
    dockerOk(["build", "--network", "host", ...npmSecret, "--build-arg", `BASE_IMAGE=${NODE_BASE_IMAGE}`, "--build-arg", "VERSION=1.0.0", "-t", SAMPLE_APP_IMAGE, SAMPLE_APP_DIR]),
  ).then(() => SAMPLE_APP_IMAGE);
  return built;
}
