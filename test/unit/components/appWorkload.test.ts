/** AppWorkload alone under mocks: what its args decide, without a stack file or the rest of the program. */
import type { AppWorkloadArgs, AppWorkloadSpec } from "../../../components/appWorkload";
import { buildComponents, find, isSecretAt, k8sName, ofType, Recorded, TYPES } from "../../harness";

const SPEC: AppWorkloadSpec = {
  name: "api",
  version: "2.3.4",
  replicas: 1,
  port: 9000,
  probes: { liveness: { path: "/live", initialDelaySeconds: 7, periodSeconds: 11 }, readiness: { path: "/ok", initialDelaySeconds: 2, periodSeconds: 3 } },
  resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "96Mi" } },
  service: { type: "ClusterIP", port: 8080, expose: false },
  env: { MODE: "fast" },
  secretEnv: [],
};
const IMAGE = `localhost:32000/team/api@sha256:${"a".repeat(64)}`;

async function build(spec: Partial<AppWorkloadSpec>, args: Partial<AppWorkloadArgs> = {}): Promise<Recorded[]> {
  const run = await buildComponents(() => {
    const { AppWorkload } = require("../../../components/appWorkload") as typeof import("../../../components/appWorkload");
    const workload = new AppWorkload("w", { app: { ...SPEC, ...spec }, namespace: "team", image: IMAGE, imagePullPolicy: "IfNotPresent", secretValues: {}, ...args });
    return { serviceName: workload.serviceName };
  });
  return run.resources;
}
const container = (resources: Recorded[]) => find(resources, TYPES.deployment, "w").inputs.spec.template.spec.containers[0];

describe("AppWorkload", () => {
  test("runs the given image on the app's port, with its probes, resources and plain env", async () => {
    const c = container(await build({}));
    expect(c).toMatchObject({ name: "api", image: IMAGE, imagePullPolicy: "IfNotPresent", ports: [{ name: "http", containerPort: 9000 }], env: [{ name: "MODE", value: "fast" }], resources: SPEC.resources });
    expect(c.livenessProbe).toEqual({ httpGet: { path: "/live", port: "http" }, initialDelaySeconds: 7, periodSeconds: 11, timeoutSeconds: 3, failureThreshold: 3 });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: "/ok", port: "http" }, initialDelaySeconds: 2, periodSeconds: 3 });
  });

  test("probes.port sends both probes to another port", async () => {
    const c = container(await build({ probes: { ...SPEC.probes, port: 9100 } }));
    expect([c.livenessProbe.httpGet.port, c.readinessProbe.httpGet.port]).toEqual([9100, 9100]);
  });

  test("without secret env: no Secret, no checksum annotation, no pull Secret", async () => {
    const resources = await build({});
    const deployment = find(resources, TYPES.deployment, "w");
    expect(ofType(resources, TYPES.secret)).toEqual([]);
    expect(deployment.inputs.spec.template.metadata.annotations).toBeUndefined();
    expect(deployment.inputs.spec.template.spec.imagePullSecrets).toBeUndefined();
  });

  test("secret env comes from the app's Secret, whose values are Pulumi secrets, and a checksum of them rolls the pods", async () => {
    const resources = await build({ secretEnv: ["TOKEN"] }, { secretValues: { TOKEN: "t0ken-value" } });
    const secret = find(resources, TYPES.secret, "w-secrets");
    expect(container(resources).env).toContainEqual({ name: "TOKEN", valueFrom: { secretKeyRef: { name: k8sName(secret), key: "token" } } });
    expect(secret.inputs.stringData).toEqual({ token: "t0ken-value" });
    expect(isSecretAt(secret, "stringData.token")).toBe(true);
    expect(find(resources, TYPES.deployment, "w").inputs.spec.template.metadata.annotations["checksum/secrets"]).toMatch(/^[0-9a-f]{64}$/);
  });

  test("a pull Secret name reaches imagePullSecrets; waitFor becomes the Deployment's dependencies", async () => {
    const run = await buildComponents(() => {
      const k8s = require("@pulumi/kubernetes") as typeof import("@pulumi/kubernetes");
      const { AppWorkload } = require("../../../components/appWorkload") as typeof import("../../../components/appWorkload");
      const gate = new k8s.core.v1.ConfigMap("gate", {});
      new AppWorkload("w", { app: SPEC, namespace: "team", image: IMAGE, imagePullPolicy: "IfNotPresent", secretValues: {}, pullSecretName: "pull", waitFor: [gate] });
      return {};
    });
    const deployment = find(run.resources, TYPES.deployment, "w");
    expect(deployment.inputs.spec.template.spec.imagePullSecrets).toEqual([{ name: "pull" }]);
    expect(deployment.dependsOn).toContain("gate");
  });

  test("two replicas or more: spread over nodes and a disruption budget; one: neither", async () => {
    const many = await build({ replicas: 2 });
    expect(find(many, TYPES.deployment, "w").inputs.spec.template.spec.topologySpreadConstraints).toHaveLength(1);
    expect(ofType(many, "kubernetes:policy/v1:PodDisruptionBudget")).toHaveLength(1);
    const one = await build({ replicas: 1 });
    expect(find(one, TYPES.deployment, "w").inputs.spec.template.spec.topologySpreadConstraints).toBeUndefined();
    expect(ofType(one, "kubernetes:policy/v1:PodDisruptionBudget")).toEqual([]);
  });

  test("an exposed NodePort Service carries the expose annotation; a ClusterIP one none", async () => {
    const exposed = find(await build({ service: { type: "NodePort", port: 80, expose: true } }), TYPES.service, "w");
    expect(exposed.inputs.spec).toMatchObject({ type: "NodePort", ports: [{ name: "http", port: 80, targetPort: "http" }] });
    expect(exposed.inputs.metadata.annotations).toEqual({ "microk8s-pipeline/expose": "true" });
    expect(find(await build({}), TYPES.service, "w").inputs.metadata.annotations).toBeUndefined();
  });
});
