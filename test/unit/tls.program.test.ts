/**
 * The managed registry with TLS, as the program declares it: a generated CA and server certificate (the
 * prod stack file's default) or one's own, the Secret the registry serves it from, and each client given
 * the CA before it talks to the registry.
 */
import { evaluate, Evaluation, find, isSecretAt, k8sName, ofType, stackConfig, TYPES } from "../harness";
import { makeChain } from "./tlsChain";

const TLS = {
  privateKey: "tls:index/privateKey:PrivateKey",
  selfSigned: "tls:index/selfSignedCert:SelfSignedCert",
  request: "tls:index/certRequest:CertRequest",
  locallySigned: "tls:index/locallySignedCert:LocallySignedCert",
};
const container = (deployment: { inputs: any }) => deployment.inputs.spec.template.spec.containers[0];

describe("prod: a generated CA and server certificate", () => {
  let prod: Evaluation;
  beforeAll(async () => {
    prod = await evaluate("prod");
  });

  test("a CA that outlives the server certificate, which the provider renews within 30 days of its end", () => {
    const ca = find(prod.resources, TLS.selfSigned, "registry-managed-certificate-ca");
    expect(ca.inputs).toMatchObject({ isCaCertificate: true, validityPeriodHours: 87600, allowedUses: ["certSigning", "crlSigning", "digitalSignature"] });
    const cert = find(prod.resources, TLS.locallySigned, "registry-managed-certificate-cert");
    expect(cert.inputs).toMatchObject({ validityPeriodHours: 8760, earlyRenewalHours: 720, allowedUses: ["digitalSignature", "keyEncipherment", "serverAuth"] });
    const request = find(prod.resources, TLS.request, "registry-managed-certificate-request");
    expect(request.inputs.dnsNames).toEqual([
      "localhost",
      "registry-managed",
      "registry-managed.container-registry",
      "registry-managed.container-registry.svc",
      "registry-managed.container-registry.svc.cluster.local",
    ]);
    expect(request.inputs.ipAddresses).toEqual(["127.0.0.1"]);
    expect(ofType(prod.resources, TLS.privateKey).map((k) => [k.name, k.inputs.algorithm])).toEqual([
      ["registry-managed-certificate-ca-key", "RSA"],
      ["registry-managed-certificate-key", "RSA"],
    ]);
  });

  test("the registry serves it from a kubernetes.io/tls Secret mounted read-only, and a new certificate rolls the pods", () => {
    const secret = find(prod.resources, TYPES.secret, "registry-managed-tls");
    expect(secret.inputs.type).toBe("kubernetes.io/tls");
    expect(secret.inputs.stringData["tls.crt"]).toContain("registry-managed-certificate-cert");
    expect(isSecretAt(secret, "stringData.tls.key")).toBe(true);
    const registry = find(prod.resources, TYPES.deployment, "registry-managed");
    const pod = registry.inputs.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: "tls", secret: { secretName: k8sName(secret), defaultMode: 0o440 } });
    expect(container(registry).volumeMounts).toContainEqual({ name: "tls", mountPath: "/certs", readOnly: true });
    expect(container(registry).ports[0]).toEqual({ name: "https", containerPort: 5000 });
    expect(container(registry).env).toEqual(expect.arrayContaining([{ name: "REGISTRY_HTTP_TLS_CERTIFICATE", value: "/certs/tls.crt" }, { name: "REGISTRY_HTTP_TLS_KEY", value: "/certs/tls.key" }]));
  });

  test("Docker is made to trust the CA before anything is pushed, and the readiness wait verifies against it", () => {
    const trust = find(prod.resources, TYPES.localCommand, "registry-managed-docker-trust");
    expect(trust.inputs.environment).toMatchObject({ REGISTRY_HOST: "localhost:32000", DOCKER_CERTS_DIR: "/etc/docker/certs.d", STAGED_CA_NAME: "microk8s-pipeline-prod-registry-ca.crt" });
    expect(trust.inputs.environment.REGISTRY_CA).toContain("-----BEGIN CERTIFICATE-----\nregistry-managed-certificate-ca\n");
    expect(trust.inputs.triggers).toEqual([trust.inputs.environment.REGISTRY_CA, "localhost:32000", "/etc/docker/certs.d"]);
    const ready = find(prod.resources, TYPES.localCommand, "registry-managed-ready");
    expect(ready.dependsOn).toContain("registry-managed-docker-trust");
    expect(ready.inputs.environment.REGISTRY_CA).toBe(trust.inputs.environment.REGISTRY_CA);
    expect(ready.inputs.create).toContain("'https://localhost:32000/v2/'");
    expect(find(prod.resources, TYPES.image, "app-web-image").dependsOn).toContain("registry-managed-ready");
    expect(find(prod.resources, TYPES.localCommand, "app-web-image-push-stable").dependsOn).toContain("registry-managed-ready");
  });

  test("the CA is exported, not secret; the private keys are secret wherever they go", () => {
    expect(prod.outputs.registryCa).toContain("registry-managed-certificate-ca");
    expect(prod.secretOutputs.has("registryCa")).toBe(false);
    const request = find(prod.resources, TLS.request, "-request");
    expect(isSecretAt(request, "privateKeyPem")).toBe(true);
    expect(isSecretAt(find(prod.resources, TLS.locallySigned, "-cert"), "caPrivateKeyPem")).toBe(true);
    expect(isSecretAt(find(prod.resources, TLS.selfSigned, "-ca"), "privateKeyPem")).toBe(true);
  });

  test("no client is told to skip verification or speak plain HTTP", () => {
    const commands = ofType(prod.resources, TYPES.localCommand).map((c) => JSON.stringify(c.inputs));
    for (const text of commands) expect(text).not.toMatch(/--insecure|--allow-http-registry|--allow-insecure-registry|http:\/\/localhost:32000/);
  });
});

describe("prod with a certificate of one's own", () => {
  const registry = { ...(structuredClone(stackConfig("prod").registry) as Record<string, any>), tls: { enabled: true } };
  // The material is checked before any resource, so the unit layer gives it a real chain.
  const withChain = (chain: ReturnType<typeof makeChain>) =>
    evaluate("prod", { overrides: { registry }, secrets: { registryTlsCertificate: chain.certificate, registryTlsKey: chain.key, registryTlsCa: chain.ca } });

  test("makes no tls resource, serves the given certificate and exports the given CA", async () => {
    const chain = makeChain({ dns: ["localhost"], ip: ["127.0.0.1"] });
    const run = await withChain(chain);
    expect(run.resources.filter((r) => r.type.startsWith("tls:"))).toEqual([]);
    const secret = find(run.resources, TYPES.secret, "registry-managed-tls");
    expect(secret.inputs.stringData).toEqual({ "tls.crt": chain.certificate, "tls.key": chain.key });
    expect(run.outputs.registryCa).toBe(chain.ca);
    expect(run.secretOutputs.has("registryCa")).toBe(false);
  });

  test("another certificate rolls the registry's pods (it reads its certificate only at start)", async () => {
    const checksum = async (chain: ReturnType<typeof makeChain>) =>
      find((await withChain(chain)).resources, TYPES.deployment, "registry-managed").inputs.spec.template.metadata.annotations["checksum/credentials"];
    const [one, another] = [makeChain({ dns: ["localhost"] }), makeChain({ dns: ["localhost"] })];
    expect(await checksum(one)).toBe(await checksum(one));
    expect(await checksum(one)).not.toBe(await checksum(another));
  });
});

describe("without TLS", () => {
  test("dev's addon and a managed registry with tls off declare no certificate, no trust command and plain HTTP", async () => {
    const registry = { ...(structuredClone(stackConfig("prod").registry) as Record<string, any>), tls: {} };
    const run = await evaluate("prod", { overrides: { registry } });
    expect(run.resources.filter((r) => r.type.startsWith("tls:") || r.name.endsWith("-docker-trust") || r.name.endsWith("-tls"))).toEqual([]);
    expect(find(run.resources, TYPES.localCommand, "registry-managed-ready").inputs.create).toContain("'http://localhost:32000/v2/'");
    expect(run.outputs.registryCa).toBeUndefined();
  });
});

describe("node trust (registry.nodeTrust)", () => {
  test("prod: a DaemonSet on every node writes the CA and hosts.toml from a ConfigMap into MicroK8s's certs.d, and mounts nothing else of the node", async () => {
    const prod = await evaluate("prod");
    const daemonSet = find(prod.resources, "kubernetes:apps/v1:DaemonSet", "registry-node-trust");
    const pod = daemonSet.inputs.spec.template.spec;
    expect(daemonSet.inputs.metadata.namespace).toBe("registry-node-trust");
    expect(find(prod.resources, TYPES.namespace, "registry-node-trust-ns").inputs.metadata.name).toBe("registry-node-trust");
    expect(pod.tolerations).toEqual([{ operator: "Exists" }]);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.volumes).toEqual([
      { name: "node-certs", hostPath: { path: "/var/snap/microk8s/args/certs.d", type: "DirectoryOrCreate" } },
      { name: "trust-files", configMap: { name: expect.stringMatching(/^registry-node-trust-[0-9a-f]{8}$/) } },
    ]);
    expect(container(daemonSet).image).toBe("busybox:1.36.1@sha256:73aaf090f3d85aa34ee199857f03fa3a95c8ede2ffd4cc2cdb5b94e566b11662");
    expect(container(daemonSet).env).toEqual([
      { name: "REGISTRY_HOST", value: "localhost:32000" },
      { name: "NODE_CERTS_DIR", value: "/host/certs.d" },
      { name: "TRUST_FILES", value: "/trust" },
    ]);
    expect(daemonSet.inputs.spec.template.metadata.annotations["microk8s-pipeline/node-access"]).toMatch(/root-owned node folder/);
    const files = find(prod.resources, "kubernetes:core/v1:ConfigMap", "registry-node-trust");
    expect(files.inputs.data["hosts.toml"]).toBe('server = "https://localhost:32000"\n\n[host."https://localhost:32000"]\n  capabilities = ["pull", "resolve"]\n  ca = "ca.crt"\n');
    expect(files.inputs.data["ca.crt"]).toBe(prod.outputs.registryCa);
  });

  test("another certs.d folder, an external registry's own CA, and no CA file for a registry without TLS", async () => {
    const external = await evaluate("dev", {
      overrides: { registry: { mode: "external", host: "registry.example.invalid:5000", username: "ci", pullUsername: "ro", nodeTrust: { enabled: true, certsDir: "/etc/containerd/certs.d" } } },
      secrets: { registryPassword: "p", registryPullPassword: "q", registryTlsCa: "-----BEGIN CERTIFICATE-----\nexternal\n-----END CERTIFICATE-----\n" },
    });
    const volumes = find(external.resources, "kubernetes:apps/v1:DaemonSet", "registry-node-trust").inputs.spec.template.spec.volumes;
    expect(volumes[0].hostPath.path).toBe("/etc/containerd/certs.d");
    expect(find(external.resources, "kubernetes:core/v1:ConfigMap", "registry-node-trust").inputs.data["ca.crt"]).toContain("external");
    expect(find(external.resources, TYPES.localCommand, "registry-ready").inputs.environment.REGISTRY_CA).toContain("external");
    expect(find(external.resources, TYPES.localCommand, "registry-docker-trust").inputs.environment.REGISTRY_HOST).toBe("registry.example.invalid:5000");

    const plain = await evaluate("dev", { overrides: { registry: { mode: "microk8s-addon", host: "node1.example.invalid:32000", nodeTrust: { enabled: true } } } });
    const data = find(plain.resources, "kubernetes:core/v1:ConfigMap", "registry-node-trust").inputs.data;
    expect(Object.keys(data)).toEqual(["hosts.toml"]);
    expect(data["hosts.toml"]).toContain('server = "http://node1.example.invalid:32000"');
  });

  test("off: no DaemonSet, no namespace for it", async () => {
    const dev = await evaluate("dev");
    expect(dev.resources.filter((r) => r.name.startsWith("registry-node-trust"))).toEqual([]);
  });
});
