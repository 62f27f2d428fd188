import * as path from "path";
import { ROOT } from "../harness";
import { dockerOk, NODE_BASE_IMAGE } from "./testEnv";

export const SAMPLE_APP_IMAGE = "microk8s-pipeline-test/web:it";
let built: Promise<string> | undefined;

/** Builds app/ on the local Node base image (once per test file), as the Dockerfile's ARG allows. */
export function buildSampleApp(): Promise<string> {
  built ??= dockerOk([
    "build",
    "--network",
    "host",
    "--build-arg",
    `BASE_IMAGE=${NODE_BASE_IMAGE}`,
    "--build-arg",
    "VERSION=1.0.0",
    "-t",
    SAMPLE_APP_IMAGE,
    path.join(ROOT, "app"),
  ]).then(() => SAMPLE_APP_IMAGE);
  return built;
}
