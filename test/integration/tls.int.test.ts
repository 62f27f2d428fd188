/**
 * The declared prod registry over TLS with a certificate of one's own (made here with openssl, never
 * committed), run for real, and each client that must trust its CA: the readiness wait (curl), the Docker
 * daemon that pushes (through the declared trust command), the moving-tag push, registry-prune, and a node's
 * containerd pulling the pushed digest through the hosts.toml the program renders.
 */
import * as fs from "fs";
import * as path from "path";
import { evaluate, Evaluation, find, stackConfig, TYPES } from "../harness";
import { containerdHostsToml, CA_FILE } from "../../lib/nodeTrust";
import { pushTagScript } from "../../lib/pushTagScript";
import { signScript } from "../../lib/signScript";
import { scanScript, trivyIgnoreFile } from "../../lib/scanScript";
import { scanSchema } from "../../config/appsSchema";
import { ROOT } from "../harness";
import { waitForRegistryScript } from "../../lib/waitScript";
import { RunningRegistry, startDeclaredRegistry } from "./declaredRegistry";
import { prune } from "./pruneCli";
import { buildSampleApp } from "./sampleApp";
import { declaredRunArgs, docker, dockerOk, eventually, GO_TOOLS_DIR, NODE_BASE_IMAGE, removeContainer, requireTestEnvironment, run, SETUP_COMMAND, tempDir } from "./testEnv";
import { ofType } from "../harness";
import { TRUST_MARKER } from "../../lib/nodeTrustScript";

const COSIGN = path.join(ROOT, ".test-env", "bin", "cosign");

const CONTAINERD = "/var/run/docker/containerd/containerd.sock";
const CTR_NAMESPACE = "microk8s-pipeline-test";

/** A CA and a server certificate it signed for localhost and 127.0.0.1, in `dir`. */
async function makeCertificates(dir: string, caName: string): Promise<{ ca: string; cert: string; key: string }> {
  const file = (name: string) => path.join(dir, name);
  const openssl = async (args: string[]) => {
    const ran = await run("openssl", args, { cwd: dir });
    if (ran.code !== 0) throw new Error(`openssl ${args[0]}: ${ran.stderr}`);
  };
  await openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${caName}`, "-keyout", file("ca.key"), "-out", file("ca.crt"),
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", file("tls.key"), "-out", file("tls.csr")]);
  fs.writeFileSync(file("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  await openssl(["x509", "-req", "-in", file("tls.csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", file("ext.cnf"), "-out", file("tls.crt")]);
  return { ca: fs.readFileSync(file("ca.crt"), "utf8"), cert: fs.readFileSync(file("tls.crt"), "utf8"), key: fs.readFileSync(file("tls.key"), "utf8") };
}

const sh = (script: string, env: Record<string, string>) => run("/bin/sh", ["-c", script], { env: { ...process.env, ...env } });

describe("the declared prod registry over TLS with a certificate of its own", () => {
  let prod: Evaluation;
  let registry: RunningRegistry;
  let tls: { ca: string; cert: string; key: string };
  let otherCa: string;
  let caFile: string;
  /** `localhost:<port>`: the name the certificate covers, as Docker and containerd name the registry. */
  let host: string;
  let user: string;
  let password: string;
  /** The pull user's credential, from the pull Secret the program declares for app namespaces. */
  let pullCredential: string;
  let dockerCertsDir: string;
  let pushedDigest: string;

  beforeAll(async () => {
    await requireTestEnvironment();
    process.env.DOCKER_CONFIG = tempDir("docker-config");
    tls = await makeCertificates(tempDir("tls"), "test registry CA");
    otherCa = (await makeCertificates(tempDir("tls-other"), "another CA")).ca;
    caFile = path.join(tempDir("ca"), "ca.crt");
    fs.writeFileSync(caFile, tls.ca);
    const settings = { ...(structuredClone(stackConfig("prod").registry) as Record<string, any>), replicas: 1, storage: { type: "filesystem" }, tls: { enabled: true } };
    prod = await evaluate("prod", {
      overrides: { registry: settings },
      secrets: { registryTlsCertificate: tls.cert, registryTlsKey: tls.key, registryTlsCa: tls.ca },
    });
    user = String(prod.outputs.registryUsername);
    password = String(prod.outputs.registryPassword);
    const pullConfig = JSON.parse(find(prod.resources, TYPES.secret, "ns-production-registry-pull").inputs.stringData[".dockerconfigjson"]);
    pullCredential = Buffer.from(String(Object.values<{ auth: string }>(pullConfig.auths)[0].auth), "base64").toString();
    registry = await startDeclaredRegistry(prod);
    host = registry.host.replace("127.0.0.1", "localhost");
    dockerCertsDir = `/etc/docker/certs.d/${host}`;
    await buildSampleApp();
  }, 300_000);

  afterAll(async () => {
    fs.rmSync(dockerCertsDir, { recursive: true, force: true });
    await registry?.stop();
  });

  test("it serves HTTPS only, with the given certificate", async () => {
    const verified = await run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", caFile, `https://${host}/v2/`]);
    expect(verified.stdout).toBe("401");
    const plain = await run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", `http://${host}/v2/`]);
    expect(plain.stdout).toBe("400");
    const served = await run("sh", ["-c", `openssl s_client -connect ${registry.host} -servername localhost </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256`]);
    const given = await run("sh", ["-c", "openssl x509 -noout -fingerprint -sha256"], { input: tls.cert });
    expect(served.stdout.trim()).toBe(given.stdout.trim());
  });

  test("the readiness wait trusts the declared CA and no other", async () => {
    const declared = find(prod.resources, TYPES.localCommand, "registry-managed-ready");
    expect(declared.inputs.create).toContain("https://localhost:32000/v2/");
    expect(declared.inputs.environment.REGISTRY_CA).toBe(tls.ca);
    const script = waitForRegistryScript(`https://${host}`, 2, 1, "check the registry");
    expect((await sh(script, { REGISTRY_CA: tls.ca })).code).toBe(0);
    const refused = await sh(script, { REGISTRY_CA: otherCa });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("last status: 000");
  });

  test("the declared trust command installs the CA where Docker reads it; Docker then logs in and pushes, and the moving tag lands on the same digest", async () => {
    const trust = find(prod.resources, TYPES.localCommand, "registry-managed-docker-trust");
    expect(trust.inputs.environment).toMatchObject({ REGISTRY_CA: tls.ca, REGISTRY_HOST: "localhost:32000", DOCKER_CERTS_DIR: "/etc/docker/certs.d" });
    const installed = await sh(trust.inputs.create, { ...trust.inputs.environment, REGISTRY_HOST: host });
    expect(installed.stderr).toBe("");
    expect(fs.readFileSync(path.join(dockerCertsDir, "ca.crt"), "utf8").trim()).toBe(tls.ca.trim());

    expect((await docker(["login", host, "-u", user, "--password-stdin"], password)).code).toBe(0);
    const target = `${host}/production/web:1.0.0`;
    await dockerOk(["tag", "microk8s-pipeline-test/web:it", target]);
    pushedDigest = /digest: (sha256:[0-9a-f]{64})/.exec(await dockerOk(["push", target]))?.[1] ?? "";
    expect(pushedDigest).toMatch(/^sha256:/);

    const config = JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString("base64") } } });
    const tagged = await sh(pushTagScript(), {
      SOURCE_IMAGE: target,
      TARGET_IMAGE: `${host}/production/web:stable`,
      IMAGE_DIGEST_REF: `${host}/production/web@${pushedDigest}`,
      REGISTRY_DOCKER_CONFIG: config,
    });
    expect(tagged.stderr).toBe("");
    expect(tagged.code).toBe(0);
    const head = await run("curl", ["-s", "-I", "--cacert", caFile, "-u", `${user}:${password}`, "-H", "Accept: application/vnd.docker.distribution.manifest.v2+json", `https://${host}/v2/production/web/manifests/stable`]);
    expect(head.stdout.toLowerCase()).toContain(`docker-content-digest: ${pushedDigest}`);

    const wrong = await sh(pushTagScript(), {
      SOURCE_IMAGE: target,
      TARGET_IMAGE: `${host}/production/web:latest`,
      IMAGE_DIGEST_REF: `${host}/production/web@sha256:${"0".repeat(64)}`,
      REGISTRY_DOCKER_CONFIG: config,
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`pushed ${host}/production/web:latest as ${pushedDigest}, but the build pushed sha256:${"0".repeat(64)}`);
  });

  test("cosign signs the pushed digest, verifying the registry with the CA alone (no insecure flag), and refuses another CA", async () => {
    if (!fs.existsSync(COSIGN)) throw new Error(`cosign is missing at ${COSIGN}: run ${SETUP_COMMAND}`);
    const keys = tempDir("cosign-keys");
    const env = { PATH: `${path.dirname(COSIGN)}:${process.env.PATH}`, HOME: tempDir("cosign-home"), COSIGN_PASSWORD: "key-password" };
    expect((await run(COSIGN, ["generate-key-pair"], { env, cwd: keys, timeoutMs: 60_000 })).code).toBe(0);
    const sign = (ca: string) =>
      run("/bin/sh", ["-c", signScript({ insecure: false })], {
        env: {
          ...env,
          IMAGE_DIGEST_REF: `${host}/production/web@${pushedDigest}`,
          COSIGN_PRIVATE_KEY: fs.readFileSync(path.join(keys, "cosign.key"), "utf8"),
          REGISTRY_DOCKER_CONFIG: JSON.stringify({ auths: { [host]: { username: user, password } } }),
          REGISTRY_CA: ca,
        },
      });
    const refused = await sign(otherCa);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/certificate signed by unknown authority/);
    const signed = await sign(tls.ca);
    expect(signed.stderr).not.toMatch(/error/i);
    expect(signed.stdout).toContain(`signed ${host}/production/web@${pushedDigest}`);
  });

  test("Trivy scans the pushed digest straight from the registry, verifying it with the CA alone, and refuses another CA", async () => {
    const trivy = path.join(GO_TOOLS_DIR, "trivy");
    const cacheDir = path.join(ROOT, ".test-env", "trivy-cache");
    for (const needed of [trivy, path.join(cacheDir, "db", "trivy.db")]) if (!fs.existsSync(needed)) throw new Error(`${needed} is missing: run ${SETUP_COMMAND}`);
    const settings = scanSchema.parse({ enabled: true, trivy, cacheDir, offline: true, severity: "CRITICAL" });
    const scan = (ca: string) =>
      run("/bin/sh", ["-c", scanScript(settings, { insecure: false })], {
        env: {
          PATH: process.env.PATH,
          IMAGE_DIGEST_REF: `${host}/production/web@${pushedDigest}`,
          SCAN_IGNORE: trivyIgnoreFile([]),
          REGISTRY_DOCKER_CONFIG: JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString("base64") } } }),
          REGISTRY_CA: ca,
        },
      });
    const refused = await scan(otherCa);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/certificate signed by unknown authority/);
    const scanned = await scan(tls.ca);
    expect({ code: scanned.code, stderr: scanned.stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(scanned.stdout).HIGH).toBeGreaterThan(0);
  }, 300_000);

  test("registry-prune verifies the registry with --ca-file, and without it stops with one line", async () => {
    const withCa = await prune(["--registry", `https://${host}`, "--username", user, "--ca-file", caFile, "--keep", "5"], { env: { REGISTRY_PASSWORD: password } });
    expect(withCa.code).toBe(0);
    expect(withCa.stdout).toContain("production/web");
    const without = await prune(["--registry", `https://${host}`, "--username", user, "--keep", "5"], { env: { REGISTRY_PASSWORD: password } });
    expect(without.code).toBe(2);
    expect(without.stderr.trim().split("\n")).toHaveLength(1);
    expect(without.stderr).toContain("give the registry's CA with --ca-file");
  });

  describe("a node's containerd pulls the pushed digest through the hosts.toml and CA the program renders", () => {
    /** ctr's progress display logs this when its status poll is cancelled at the end of a pull that succeeded. */
    const withoutProgressNoise = (stderr: string) =>
      stderr
        .split("\n")
        .filter((line) => !/msg="active check failed" error="context canceled"/.test(line))
        .join("\n");
    const pull = (hostsDir: string) =>
      run("ctr", ["--address", CONTAINERD, "--namespace", CTR_NAMESPACE, "images", "pull", "--hosts-dir", hostsDir, "--user", pullCredential, `${host}/production/web@${pushedDigest}`]);
    const hostsDir = (ca: string | undefined) => {
      const dir = tempDir("certs.d");
      fs.mkdirSync(path.join(dir, host));
      fs.writeFileSync(path.join(dir, host, "hosts.toml"), containerdHostsToml(host, { tls: true }));
      if (ca) fs.writeFileSync(path.join(dir, host, CA_FILE), ca);
      return dir;
    };
    afterAll(async () => {
      await run("ctr", ["--address", CONTAINERD, "--namespace", CTR_NAMESPACE, "images", "rm", `${host}/production/web@${pushedDigest}`]);
    });

    test("without the files, or with another CA, it fails", async () => {
      const none = await pull(tempDir("certs.d-empty"));
      expect(none.code).not.toBe(0);
      const other = await pull(hostsDir(otherCa));
      expect(other.code).not.toBe(0);
      expect(other.stderr).toMatch(/certificate signed by unknown authority/);
    });
    test("with the files it pulls", async () => {
      expect(pushedDigest).toMatch(/^sha256:/);
      const pulled = await pull(hostsDir(tls.ca));
      expect(pulled.code).toBe(0);
      expect(withoutProgressNoise(pulled.stderr)).not.toMatch(/failed|error|x509|certificate|http:/i);
      const stored = await run("ctr", ["--address", CONTAINERD, "--namespace", CTR_NAMESPACE, "images", "ls", "--quiet"]);
      expect(stored.stdout.split("\n")).toContain(`${host}/production/web@${pushedDigest}`);
    });

  });

  describe("the node-trust DaemonSet's container, run for real with the node's certs.d mapped to a folder", () => {
    let declared: Evaluation;
    let nodeDir: string;
    const containers: string[] = [];
    const PINNED_BUSYBOX = (stackConfig("prod").registry as { nodeTrust: { image: string } }).nodeTrust.image;

    beforeAll(async () => {
      // The stack as a team would declare it for this registry's address, node trust on.
      const settings = { ...(structuredClone(stackConfig("prod").registry) as Record<string, any>), replicas: 1, storage: { type: "filesystem" }, host, tls: { enabled: true }, nodeTrust: { enabled: true, image: PINNED_BUSYBOX } };
      declared = await evaluate("prod", { overrides: { registry: settings }, secrets: { registryTlsCertificate: tls.cert, registryTlsKey: tls.key, registryTlsCa: tls.ca } });
      nodeDir = tempDir("node-certs.d");
    }, 120_000);
    afterAll(async () => {
      for (const name of containers) await removeContainer(name);
    });

    /** The declared container, with a local busybox shell in place of the declared busybox image (no registry to pull it from). */
    const startTrust = async (overrides: Record<string, string> = {}) => {
      const daemonSet = find(declared.resources, "kubernetes:apps/v1:DaemonSet", "registry-node-trust");
      const run = declaredRunArgs(daemonSet, ofType(declared.resources, TYPES.secret), {
        image: NODE_BASE_IMAGE,
        overrides,
        configMaps: ofType(declared.resources, "kubernetes:core/v1:ConfigMap"),
        hostPathDirs: { "/var/snap/microk8s/args/certs.d": nodeDir },
      });
      await dockerOk(run.args);
      containers.push(run.name);
      return run.name;
    };
    const written = (forHost: string) => (fs.existsSync(path.join(nodeDir, forHost, "hosts.toml")) ? true : undefined);

    test("it runs as root with no capability, a read-only root and only the node folder and its files mounted", () => {
      const daemonSet = find(declared.resources, "kubernetes:apps/v1:DaemonSet", "registry-node-trust");
      const pod = daemonSet.inputs.spec.template.spec;
      expect(pod.containers[0].image).toBe(PINNED_BUSYBOX);
      expect(pod.containers[0].securityContext).toEqual({ runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
      expect(pod.volumes.map((v: any) => v.hostPath?.path ?? `configMap ${Boolean(v.configMap)}`)).toEqual(["/var/snap/microk8s/args/certs.d", "configMap true"]);
    });

    test("it writes hosts.toml and the CA; containerd then pulls the deployed digest with the pull credential; on SIGTERM it removes them", async () => {
      const name = await startTrust();
      await eventually("the node's hosts.toml", async () => written(host));
      expect(fs.readFileSync(path.join(nodeDir, host, "hosts.toml"), "utf8")).toBe(containerdHostsToml(host, { tls: true }));
      expect(fs.readFileSync(path.join(nodeDir, host, CA_FILE), "utf8")).toBe(tls.ca);
      const pulled = await run("ctr", ["--address", CONTAINERD, "--namespace", `${CTR_NAMESPACE}-node`, "images", "pull", "--hosts-dir", nodeDir, "--user", pullCredential, `${host}/production/web@${pushedDigest}`]);
      expect({ code: pulled.code, stderr: pulled.stderr.split("\n").filter((l) => /error|fail/i.test(l)) }).toEqual({ code: 0, stderr: [] });
      await run("ctr", ["--address", CONTAINERD, "--namespace", `${CTR_NAMESPACE}-node`, "images", "rm", `${host}/production/web@${pushedDigest}`]);
      await dockerOk(["stop", "-t", "10", name]);
      expect(fs.existsSync(path.join(nodeDir, host))).toBe(false);
      expect((await docker(["logs", name])).stdout).toContain(`removed the trust of ${host}`);
    });

    test("a node that missed the removal (killed) keeps its files until the next start, which removes another host's", async () => {
      const first = await startTrust();
      await eventually("the node's hosts.toml", async () => written(host));
      await dockerOk(["kill", "-s", "KILL", first]);
      expect(fs.existsSync(path.join(nodeDir, host, TRUST_MARKER))).toBe(true);
      const moved = "registry.example.invalid:5000";
      await startTrust({ REGISTRY_HOST: moved });
      await eventually("the moved host's hosts.toml", async () => written(moved));
      expect(fs.existsSync(path.join(nodeDir, host))).toBe(false);
    });
  });
});
