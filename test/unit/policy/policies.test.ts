import { configMapNoCredentials } from "../../../policy/policies/configMapNoCredentials";
import { containerImagePinned } from "../../../policy/policies/containerImagePinned";
import { noSecretPlainEnv } from "../../../policy/policies/noSecretPlainEnv";
import { probesRequired } from "../../../policy/policies/probesRequired";
import { registryAuthInProd } from "../../../policy/policies/registryAuthInProd";
import { resourcesRequired } from "../../../policy/policies/resourcesRequired";
import { securityContext } from "../../../policy/policies/securityContext";
import { serviceExposure } from "../../../policy/policies/serviceExposure";
import { violations } from "../../policyHarness";
import { changed, containerOf, goodDeployment } from "./fixtures";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

describe("container-image-pinned", () => {
  const policy = containerImagePinned("mandatory");

  test("passes a digest, in dev and prod", () => {
    expect(violations(policy, DEPLOYMENT, goodDeployment(), "prod")).toEqual([]);
  });

  test.each([
    ["a :latest image with IfNotPresent", "localhost:32000/dev/web:latest", 'container "web" runs "localhost:32000/dev/web:latest" with imagePullPolicy IfNotPresent: nodes keep whatever they pulled first; pin a version or digest'],
    ["an untagged image with IfNotPresent", "localhost:32000/dev/web", 'container "web" runs "localhost:32000/dev/web" with imagePullPolicy IfNotPresent: nodes keep whatever they pulled first; pin a version or digest'],
  ])("flags %s", (_what, image, message) => {
    expect(violations(policy, DEPLOYMENT, changed(goodDeployment, (d) => (containerOf(d).image = image)))).toEqual([message]);
  });

  test("a version tag passes in dev and needs a digest in prod", () => {
    const tagged = changed(goodDeployment, (d) => (containerOf(d).image = "localhost:32000/dev/web:1.2.3"));
    expect(violations(policy, DEPLOYMENT, tagged, "dev")).toEqual([]);
    expect(violations(policy, DEPLOYMENT, tagged, "prod")).toEqual(['container "web" runs "localhost:32000/dev/web:1.2.3" in prod: deploy by digest (repo@sha256:...)']);
  });

  test("latest with Always is the document's acceptable case in dev", () => {
    const always = changed(goodDeployment, (d) => Object.assign(containerOf(d), { image: "web:latest", imagePullPolicy: "Always" }));
    expect(violations(policy, DEPLOYMENT, always, "dev")).toEqual([]);
  });

  test("looks into CronJobs and init containers", () => {
    const cron = { spec: { jobTemplate: { spec: { template: { spec: { initContainers: [{ name: "init", image: "busybox", imagePullPolicy: "IfNotPresent" }], containers: [] } } } } } };
    expect(violations(policy, "kubernetes:batch/v1:CronJob", cron)).toEqual([
      'init container "init" runs "busybox" with imagePullPolicy IfNotPresent: nodes keep whatever they pulled first; pin a version or digest',
    ]);
  });
});

describe("probes-required", () => {
  const policy = probesRequired("mandatory");

  test("passes a container with both probes", () => {
    expect(violations(policy, DEPLOYMENT, goodDeployment())).toEqual([]);
  });

  test.each([
    ["livenessProbe", 'container "web" has no livenessProbe'],
    ["readinessProbe", 'container "web" has no readinessProbe'],
  ])("flags a missing %s", (probe, message) => {
    expect(violations(policy, DEPLOYMENT, changed(goodDeployment, (d) => delete containerOf(d)[probe]))).toEqual([message]);
  });

  test("does not ask Jobs for probes", () => {
    expect(violations(policy, "kubernetes:batch/v1:Job", { spec: { template: { spec: { containers: [{ name: "once" }] } } } })).toEqual([]);
  });
});

describe("resources-required", () => {
  const policy = resourcesRequired("mandatory");

  test("passes requests and limits for cpu and memory", () => {
    expect(violations(policy, DEPLOYMENT, goodDeployment())).toEqual([]);
  });

  test.each([
    ["requests", "cpu"],
    ["requests", "memory"],
    ["limits", "cpu"],
    ["limits", "memory"],
  ])("flags a missing %s.%s", (kind, resource) => {
    const d = changed(goodDeployment, (x) => delete containerOf(x).resources[kind][resource]);
    expect(violations(policy, DEPLOYMENT, d)).toEqual([`container "web" has no resources ${kind}.${resource}`]);
  });

  test("flags a container with none", () => {
    expect(violations(policy, DEPLOYMENT, changed(goodDeployment, (d) => delete containerOf(d).resources))).toEqual([
      'container "web" has no resources requests.cpu, requests.memory, limits.cpu, limits.memory',
    ]);
  });
});

describe("security-context", () => {
  const policy = securityContext("mandatory");

  test("passes runAsNonRoot on the pod and no privilege escalation", () => {
    expect(violations(policy, DEPLOYMENT, goodDeployment())).toEqual([]);
  });

  test("flags a pod that may run as root", () => {
    expect(violations(policy, DEPLOYMENT, changed(goodDeployment, (d) => delete d.spec.template.spec.securityContext))).toEqual([
      'container "web" may run as root: set runAsNonRoot: true',
    ]);
  });

  test("flags privilege escalation left on", () => {
    expect(violations(policy, DEPLOYMENT, changed(goodDeployment, (d) => delete containerOf(d).securityContext.allowPrivilegeEscalation))).toEqual([
      'container "web" allows privilege escalation: set allowPrivilegeEscalation: false',
    ]);
  });
});

describe("no-secret-plain-env", () => {
  const policy = noSecretPlainEnv("mandatory");

  test("passes secretKeyRef credentials and a *_PATH setting", () => {
    expect(violations(policy, DEPLOYMENT, goodDeployment())).toEqual([]);
  });

  test.each(["DB_PASSWORD", "API_KEY", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "S3_ACCESSKEY"])("flags %s as a plain value", (name) => {
    const d = changed(goodDeployment, (x) => containerOf(x).env.push({ name, value: "x" }));
    expect(violations(policy, DEPLOYMENT, d)).toEqual([`container "web" sets ${name} as a plain value: read it from a Secret with valueFrom.secretKeyRef`]);
  });
});

describe("configmap-no-credentials", () => {
  const policy = configMapNoCredentials("mandatory");
  const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";

  test("passes ordinary settings", () => {
    expect(violations(policy, CONFIG_MAP, { data: { "LOG_LEVEL": "info", "config.yml": "version: 0.1\nstorage:\n  s3:\n    region: us-east-1\n" } })).toEqual([]);
  });

  test("flags the document's registry-config with S3 keys", () => {
    const documentConfigMap = {
      metadata: { name: "registry-config" },
      data: { "config.yml": "version: 0.1\nstorage:\n  s3:\n    accesskey: AKIAIOSFODNN7EXAMPLE\n    secretkey: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n" },
    };
    expect(violations(policy, CONFIG_MAP, documentConfigMap)).toEqual([
      'ConfigMap key "config.yml" holds an AWS access key id: put it in a Secret',
      'ConfigMap key "config.yml" holds a credential setting: put it in a Secret',
    ]);
  });

  test.each([
    [{ DB_PASSWORD: "x" }, 'ConfigMap key "DB_PASSWORD" looks like a credential: put it in a Secret'],
    [{ "tls.key": "-----BEGIN RSA PRIVATE KEY-----\nMII" }, 'ConfigMap key "tls.key" holds a private key: put it in a Secret'],
  ])("flags %j", (data, message) => {
    expect(violations(policy, CONFIG_MAP, { data })).toEqual([message]);
  });
});

describe("registry-auth-in-prod", () => {
  const policy = registryAuthInProd("mandatory");
  const registry = () =>
    changed(goodDeployment, (d) => {
      containerOf(d).name = "registry";
      containerOf(d).image = `registry:2.8.3@sha256:${"b".repeat(64)}`;
      containerOf(d).env = [{ name: "REGISTRY_AUTH", value: "htpasswd" }];
    });

  test("passes a registry with htpasswd auth in prod", () => {
    expect(violations(policy, DEPLOYMENT, registry(), "prod")).toEqual([]);
  });

  test("flags a registry without auth in prod, not in dev", () => {
    const open = changed(registry, (d) => (containerOf(d).env = []));
    expect(violations(policy, DEPLOYMENT, open, "dev")).toEqual([]);
    expect(violations(policy, DEPLOYMENT, open, "prod")).toEqual([
      `container "registry" runs the registry "registry:2.8.3@sha256:${"b".repeat(64)}" without auth in prod: set REGISTRY_AUTH (htpasswd or token)`,
    ]);
  });

  test("ignores other images", () => {
    expect(violations(policy, DEPLOYMENT, goodDeployment(), "prod")).toEqual([]);
  });
});

describe("service-exposure", () => {
  const policy = serviceExposure("mandatory");
  const SERVICE = "kubernetes:core/v1:Service";
  const service = (spec: Record<string, unknown>, annotations?: Record<string, string>) => ({ metadata: { annotations }, spec });

  test.each([
    ["a ClusterIP Service", service({ type: "ClusterIP", ports: [{ port: 80 }] })],
    ["the registry's NodePort 32000", service({ type: "NodePort", ports: [{ port: 5000, nodePort: 32000 }] })],
    ["an opted-in LoadBalancer", service({ type: "LoadBalancer", ports: [{ port: 80 }] }, { "microk8s-pipeline/expose": "true" })],
  ])("passes %s", (_what, props) => {
    expect(violations(policy, SERVICE, props)).toEqual([]);
  });

  test.each([
    ["LoadBalancer", service({ type: "LoadBalancer", ports: [{ port: 80 }] })],
    ["NodePort", service({ type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] })],
  ])("flags a %s without the opt-in", (type, props) => {
    expect(violations(policy, SERVICE, props)).toEqual([
      `Service of type ${type} is reachable from outside the cluster: add the annotation microk8s-pipeline/expose: "true" if that is intended`,
    ]);
  });
});
