import { configMapNoCredentials } from "../../../policy/policies/configMapNoCredentials";
import { containerImagePinned } from "../../../policy/policies/containerImagePinned";
import { disruptionBudget } from "../../../policy/policies/disruptionBudget";
import { hostPathVolumes } from "../../../policy/policies/hostPathVolumes";
import { noSecretPlainEnv } from "../../../policy/policies/noSecretPlainEnv";
import { probesRequired } from "../../../policy/policies/probesRequired";
import { registryAuthInProd } from "../../../policy/policies/registryAuthInProd";
import { replicasSpread } from "../../../policy/policies/replicasSpread";
import { resourcesRequired } from "../../../policy/policies/resourcesRequired";
import { securityContext } from "../../../policy/policies/securityContext";
import { serviceExposure } from "../../../policy/policies/serviceExposure";
import { stackViolations, violations } from "../../policyHarness";
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
      "container \"web\" may run as root: set runAsNonRoot: true, or give the reason in the pod template's microk8s-pipeline/node-access annotation",
    ]);
  });

  test("lets root through only with a reason in the pod template's node-access annotation, and never privilege escalation", () => {
    const asRoot = (reason: string | undefined) =>
      changed(goodDeployment, (d) => {
        delete d.spec.template.spec.securityContext;
        d.spec.template.metadata = { annotations: reason === undefined ? {} : { "microk8s-pipeline/node-access": reason } };
      });
    expect(violations(policy, DEPLOYMENT, asRoot("writes a root-owned node folder"))).toEqual([]);
    expect(violations(policy, DEPLOYMENT, asRoot(" "))).toHaveLength(1);
    expect(violations(policy, DEPLOYMENT, asRoot(undefined))).toHaveLength(1);
    const escalating = changed(() => asRoot("writes a root-owned node folder"), (d) => delete containerOf(d).securityContext.allowPrivilegeEscalation);
    expect(violations(policy, DEPLOYMENT, escalating)).toEqual(['container "web" allows privilege escalation: set allowPrivilegeEscalation: false']);
  });

  test("flags privilege escalation left on", () => {
    expect(violations(policy, DEPLOYMENT, changed(goodDeployment, (d) => delete containerOf(d).securityContext.allowPrivilegeEscalation))).toEqual([
      'container "web" allows privilege escalation: set allowPrivilegeEscalation: false',
    ]);
  });
});

describe("host-path-volumes", () => {
  const policy = hostPathVolumes("mandatory");
  const withHostPath = (annotations: Record<string, string>) =>
    changed(goodDeployment, (d) => {
      d.spec.template.spec.volumes = [...(d.spec.template.spec.volumes ?? []), { name: "node", hostPath: { path: "/var/snap/microk8s/args/certs.d" } }];
      d.spec.template.metadata = { annotations };
    });

  test("passes a pod without hostPath, and one whose template says why it needs the node", () => {
    expect(violations(policy, DEPLOYMENT, goodDeployment())).toEqual([]);
    expect(violations(policy, DEPLOYMENT, withHostPath({ "microk8s-pipeline/node-access": "writes containerd's registry trust" }))).toEqual([]);
  });

  test("flags a hostPath without the reason", () => {
    expect(violations(policy, DEPLOYMENT, withHostPath({}))).toEqual([
      "volume \"node\" mounts the node's /var/snap/microk8s/args/certs.d: use another volume kind, or give the reason in the pod template's microk8s-pipeline/node-access annotation",
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

/** The good Deployment with three replicas spread over nodes, and the budget that selects its pods. */
const replicated = () =>
  changed(goodDeployment, (d) => {
    d.metadata.namespace = "production";
    d.spec.replicas = 3;
    d.spec.template.metadata = { labels: { app: "web", "app.kubernetes.io/name": "web", version: "1.0.0" } };
    d.spec.template.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "web" } } }];
  });
const budget = () => ({ metadata: { namespace: "production" }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: "web", "app.kubernetes.io/name": "web" } } } });
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";

describe("replicas-spread", () => {
  const policy = replicasSpread("mandatory");

  test.each([
    ["three spread replicas", replicated()],
    ["one replica without a spread", changed(replicated, (d) => ((d.spec.replicas = 1), delete d.spec.template.spec.topologySpreadConstraints))],
    ["replicas unset (1)", goodDeployment()],
  ])("passes %s", (_what, props) => {
    expect(violations(policy, DEPLOYMENT, props)).toEqual([]);
  });

  test.each([
    ["no constraint", changed(replicated, (d) => delete d.spec.template.spec.topologySpreadConstraints)],
    ["a spread over zones only", changed(replicated, (d) => (d.spec.template.spec.topologySpreadConstraints[0].topologyKey = "topology.kubernetes.io/zone"))],
  ])("flags three replicas with %s", (_what, props) => {
    expect(violations(policy, DEPLOYMENT, props)).toEqual(["3 replicas with no topologySpreadConstraints on kubernetes.io/hostname: they may all run on one node, and go with it"]);
  });

  test("looks at StatefulSets, not at Services", () => {
    const unspread = changed(replicated, (d) => delete d.spec.template.spec.topologySpreadConstraints);
    expect(violations(policy, "kubernetes:apps/v1:StatefulSet", unspread)).toHaveLength(1);
    expect(violations(policy, "kubernetes:core/v1:Service", unspread)).toEqual([]);
  });
});

describe("disruption-budget", () => {
  const policy = disruptionBudget("mandatory");
  const web = (props: Record<string, any>) => ({ type: DEPLOYMENT, name: "app-web", props });
  const pdb = (props: Record<string, any>) => ({ type: PDB, name: "app-web", props });

  test("passes replicas with a budget that selects them, and one replica without one", () => {
    expect(stackViolations(policy, [web(replicated()), pdb(budget())])).toEqual([]);
    expect(stackViolations(policy, [web(changed(replicated, (d) => (d.spec.replicas = 1)))])).toEqual([]);
  });

  test("a namespace not known yet (preview) matches", () => {
    const unknownNamespace = changed(replicated, (d) => delete d.metadata.namespace);
    expect(stackViolations(policy, [web(unknownNamespace), pdb(budget())])).toEqual([]);
  });

  const missing = ["3 replicas and no PodDisruptionBudget selects their pods: a drain may evict them all at once (app-web)"];
  test.each([
    ["no budget", []],
    ["a budget in another namespace", [pdb(changed(budget, (b) => (b.metadata.namespace = "staging")))]],
    ["a budget selecting another label value", [pdb(changed(budget, (b) => (b.spec.selector.matchLabels.app = "api")))]],
    ["a budget with an empty selector", [pdb(changed(budget, (b) => (b.spec.selector = {})))]],
  ])("flags three replicas with %s", (_what, others) => {
    expect(stackViolations(policy, [web(replicated()), ...others])).toEqual(missing);
  });
});
