import { evaluate, find, stackConfig, TYPES } from "../../harness";
import { packViolations } from "../../policyHarness";

describe.each(["dev", "prod"] as const)("the policy pack over what the %s stack declares", (stack) => {
  test("finds no violation", async () => {
    const run = await evaluate(stack);
    expect(run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:")).length).toBeGreaterThanOrEqual(stack === "prod" ? 10 : 4);
    expect(packViolations(run.resources, stack)).toEqual([]);
  });
});

test("prod with garbage collection on still passes once its image is pinned by digest", async () => {
  const run = await evaluate("prod", {
    overrides: {
      registry: {
        mode: "managed",
        storage: { type: "s3", bucket: "container-registry" },
        replicas: 2,
        image: `registry:2.8.3@sha256:${"c".repeat(64)}`,
        ui: { enabled: true, image: `joxit/docker-registry-ui:2.5.7@sha256:${"d".repeat(64)}` },
        gc: { enabled: true, kubectlImage: `alpine/k8s:1.31.4@sha256:${"e".repeat(64)}` },
      },
    },
  });
  expect(find(run.resources, "kubernetes:batch/v1:CronJob", "-gc")).toBeDefined();
  expect(packViolations(run.resources, "prod")).toEqual([]);
});

test("prod with GC, the UI and an app exposed on purpose passes the mandatory pack; the same app unexposed is refused by config first", async () => {
  const web = (stackConfig("prod").apps as Record<string, any>[])[0];
  const registry = { ...(stackConfig("prod").registry as object), gc: { enabled: true, kubectlImage: `alpine/k8s:1.31.4@sha256:${"e".repeat(64)}` } };
  const run = await evaluate("prod", { overrides: { registry, apps: [{ ...web, service: { type: "NodePort", expose: true } }] } });
  expect(find(run.resources, TYPES.service, "app-web").inputs.metadata.annotations).toEqual({ "microk8s-pipeline/expose": "true" });
  expect(find(run.resources, TYPES.deployment, "registry-managed-ui")).toBeDefined();
  expect(packViolations(run.resources, "prod")).toEqual([]);
  await expect(evaluate("prod", { overrides: { registry, apps: [{ ...web, service: { type: "NodePort" } }] } })).rejects.toThrow("apps.0.service.type");
});

test("a deliberately broken copy of the app (latest tag, no probes, plain DB_PASSWORD) gives exactly those violations", async () => {
  const run = await evaluate("dev");
  const app = find(run.resources, TYPES.deployment, "app-web");
  const broken = structuredClone(app);
  const container = broken.inputs.spec.template.spec.containers[0];
  container.image = "localhost:32000/dev/web:latest";
  delete container.livenessProbe;
  delete container.readinessProbe;
  container.env = container.env.map((e: any) => (e.name === "DB_PASSWORD" ? { name: "DB_PASSWORD", value: "secretpassword" } : e));
  expect(packViolations([broken], "dev")).toEqual([
    'container-image-pinned: container "web" runs "localhost:32000/dev/web:latest" with imagePullPolicy IfNotPresent: nodes keep whatever they pulled first; pin a version or digest (app-web)',
    'probes-required: container "web" has no livenessProbe and no readinessProbe (app-web)',
    'no-secret-plain-env: container "web" sets DB_PASSWORD as a plain value: read it from a Secret with valueFrom.secretKeyRef (app-web)',
  ]);
});
