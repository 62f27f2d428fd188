import { Evaluation, find, ofType, TYPES } from "../harness";
import { RunningRegistry, waitHealthy } from "./plainRegistry";
import { declaredRunArgs, dockerOk, freePort, REGISTRY_TEST_IMAGE, removeContainer } from "./testEnv";

/**
 * Runs the registry container that `evaluation` declares, exactly as declared but for its listen addresses
 * (free ports on 127.0.0.1), any `overrides` (such as the S3 endpoint), and the image: the local build of
 * the declared Distribution version.
 */
export async function startDeclaredRegistry(evaluation: Evaluation, overrides: Record<string, string> = {}, image = REGISTRY_TEST_IMAGE): Promise<RunningRegistry> {
  const deployment = find(evaluation.resources, TYPES.deployment, "registry-managed");
  const [port, debugPort] = [await freePort(), await freePort()];
  const host = `127.0.0.1:${port}`;
  const debugUrl = `http://127.0.0.1:${debugPort}/debug/health`;
  const declared = declaredRunArgs(deployment, ofType(evaluation.resources, TYPES.secret), {
    image,
    overrides: { REGISTRY_HTTP_ADDR: host, REGISTRY_HTTP_DEBUG_ADDR: `127.0.0.1:${debugPort}`, ...overrides },
  });
  await dockerOk(declared.args);
  const running = { host, debugUrl, container: declared.name, stop: () => removeContainer(declared.name) };
  await waitHealthy(running);
  return running;
}


export { startPlainRegistry, waitHealthy } from "./plainRegistry";
export type { RunningRegistry } from "./plainRegistry";
