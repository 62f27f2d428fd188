/**
 * The chapter's `build-and-deploy.sh`, done by hand against the cluster and registry the dev stack made:
 * `docker build`, `docker tag`, `docker push` of both tags, `kubectl apply` of its Deployment and
 * `kubectl rollout status`. The bench times it against our `pulumi up` for the same code change.
 */
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import type { E2eEnvironment } from "../test/e2e/harness";
import { dockerOk } from "../test/integration/docker";

/** The document's registry, the addon's NodePort on loopback. */
const REGISTRY = "localhost:32000";
const APP = "web";
const NAMESPACE = "handrun";

/** The document's Deployment (its `k8s/deployment.yaml`), with the replicas of the dev stack's app. */
function deploymentYaml(image: string, replicas: number): string {
  return YAML.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: APP, namespace: NAMESPACE },
    spec: {
      replicas,
      selector: { matchLabels: { app: APP } },
      template: { metadata: { labels: { app: APP } }, spec: { containers: [{ name: "app", image, ports: [{ containerPort: 8080 }] }] } },
    },
  });
}

interface StackApp {
  replicas?: number;
  build: { context: string; args?: Record<string, string>; network?: string };
}

/** The dev stack's first app as this machine builds it (base image and npm registry on loopback). */
function devApp(env: E2eEnvironment): StackApp {
  const config = YAML.parse(fs.readFileSync(path.join(env.projectDir, "Pulumi.dev.yaml"), "utf8")).config;
  return config["microk8s-pipeline:apps"][0];
}

export async function prepareHandRun(env: E2eEnvironment): Promise<void> {
  await env.kubectl.text(["create", "namespace", NAMESPACE]);
}

/** One run of the workflow for `version`; the code change is already in the working tree. */
export async function handRun(env: E2eEnvironment, version: string): Promise<void> {
  const app = devApp(env);
  const image = `${REGISTRY}/${APP}:${version}`;
  const buildArgs = Object.entries(app.build.args ?? {}).flatMap(([key, value]) => ["--build-arg", `${key}=${value}`]);
  const network = app.build.network ? ["--network", app.build.network] : [];
  await dockerOk(["build", "-q", ...network, ...buildArgs, "-t", image, path.join(env.projectDir, app.build.context)]);
  await dockerOk(["tag", image, `${REGISTRY}/${APP}:latest`]);
  await dockerOk(["push", "-q", image]);
  await dockerOk(["push", "-q", `${REGISTRY}/${APP}:latest`]);
  await env.kubectl.text(["apply", "-f", "-"], deploymentYaml(image, app.replicas ?? 1));
  await env.kubectl.text(["rollout", "status", "-n", NAMESPACE, `deployment/${APP}`, "--timeout=300s"]);
}

export async function removeHandRun(env: E2eEnvironment): Promise<void> {
  await env.kubectl.text(["delete", "namespace", NAMESPACE, "--wait"]);
}
