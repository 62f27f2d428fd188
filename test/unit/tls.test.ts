/**
 * TLS's pure parts: the config rules, the checks of a certificate of one's own, the names a generated one
 * covers, the hosts.toml a node reads, and the scripts that make Docker, curl, cosign and Trivy trust the CA
 * (run here with stubs; tls.int.test.ts runs them against the real registry).
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError } from "../../config/errors";
import { parseConfig } from "../../config/parse";
import { certificateNames } from "../../components/managedRegistry";
import { registryEnv } from "../../components/managedRegistry/registryEnv";
import { dockerTrustScript } from "../../lib/dockerTrustScript";
import { isLoopbackHost } from "../../lib/hosts";
import { containerdHostsToml } from "../../lib/nodeTrust";
import { pushTagScript } from "../../lib/pushTagScript";
import { scanScript } from "../../lib/scanScript";
import { signScript } from "../../lib/signScript";
import { tlsMaterialProblems } from "../../lib/tlsMaterial";
import { waitForRegistryScript } from "../../lib/waitScript";
import type { ManagedSettings } from "../../config/registrySchema";
import { makeChain } from "./tlsChain";

const PINNED = `registry:2.8.3@sha256:${"a".repeat(64)}`;

function problemsOf(stack: string, raw: Record<string, unknown>): string[] {
  try {
    parseConfig(stack, raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  return [];
}

const managed = (registry: Record<string, unknown>) => ({ environment: "prod", registry: { mode: "managed", image: PINNED, ...registry } });

describe("registry.tls config", () => {
  test("is off by default; generate turns it on; enabled: false beside generate: true is refused", () => {
    expect((parseConfig("prod", managed({})).registry as ManagedSettings).tls).toEqual({ enabled: false, generate: false, validityDays: 365, dockerCertsDir: "/etc/docker/certs.d" });
    expect((parseConfig("prod", managed({ tls: { generate: true } })).registry as ManagedSettings).tls).toMatchObject({ enabled: true, generate: true });
    expect(problemsOf("prod", managed({ tls: { generate: true, enabled: false } }))).toEqual([
      "microk8s-pipeline:registry.tls.enabled = false: generate: true needs TLS on; remove enabled: false (generate implies it)",
    ]);
  });

  test("validityDays and dockerCertsDir are checked", () => {
    expect(problemsOf("dev", managed({ environment: "dev", tls: { generate: true, validityDays: 30 } })).join("\n")).toContain("registry.tls.validityDays");
    expect(problemsOf("dev", { environment: "dev", registry: { mode: "managed", tls: { dockerCertsDir: "../etc" } } }).join("\n")).toContain(
      'registry.tls.dockerCertsDir = "../etc": must be an absolute path such as /etc/docker/certs.d',
    );
  });

  test("prod refuses a registry host off loopback without TLS, naming the two ways to turn it on; loopback hosts and TLS pass", () => {
    expect(problemsOf("prod", managed({ host: "registry.example.invalid:32000" }))).toEqual([
      'microk8s-pipeline:registry.host = "registry.example.invalid:32000": is not a loopback address, so every push would send the credential in cleartext; in prod set registry.tls.generate: true, or registry.tls.enabled: true with the secrets registryTlsCertificate, registryTlsKey and registryTlsCa',
    ]);
    expect(problemsOf("prod", managed({ host: "registry.example.invalid:32000", tls: { generate: true } }))).toEqual([]);
    for (const host of ["localhost:32000", "127.0.0.1:32000", "registry.localhost:32000"]) expect(problemsOf("prod", managed({ host }))).toEqual([]);
    expect(problemsOf("dev", { environment: "dev", registry: { mode: "managed", host: "registry.example.invalid:32000" } })).toEqual([]);
  });

  test("loopback means localhost and 127.0.0.0/8, nothing that only looks like it", () => {
    expect(["localhost", "LOCALHOST:5000", "a.localhost:1", "127.0.0.1:32000", "127.255.0.9"].map(isLoopbackHost)).toEqual([true, true, true, true, true]);
    expect(["localhost.example.com", "128.0.0.1", "127.0.0.256", "10.0.0.1", "registry"].map(isLoopbackHost)).toEqual([false, false, false, false, false]);
  });
});

describe("a generated certificate's names and the registry's TLS env", () => {
  test("covers registry.host, 127.0.0.1 beside a loopback name, and every in-cluster form of the Service's name", () => {
    expect(certificateNames("localhost:32000", "registry-managed", "container-registry")).toEqual({
      dnsNames: ["localhost", "registry-managed", "registry-managed.container-registry", "registry-managed.container-registry.svc", "registry-managed.container-registry.svc.cluster.local"],
      ipAddresses: ["127.0.0.1"],
    });
    expect(certificateNames("registry.example.invalid:443", "r", "ns")).toEqual({ dnsNames: ["registry.example.invalid", "r", "r.ns", "r.ns.svc", "r.ns.svc.cluster.local"], ipAddresses: [] });
    expect(certificateNames("198.51.100.7:32000", "r", "ns").ipAddresses).toEqual(["198.51.100.7"]);
  });

  test("with TLS the registry port serves the mounted certificate; without, no TLS setting at all", () => {
    const settings = (tls: boolean) => parseConfig("dev", { environment: "dev", registry: { mode: "managed", tls: { enabled: tls } } }).registry as ManagedSettings;
    const tlsEnv = (tls: boolean) => registryEnv(settings(tls), "env").filter((e) => e.name.startsWith("REGISTRY_HTTP_TLS"));
    expect(tlsEnv(true)).toEqual([
      { name: "REGISTRY_HTTP_TLS_CERTIFICATE", value: "/certs/tls.crt" },
      { name: "REGISTRY_HTTP_TLS_KEY", value: "/certs/tls.key" },
    ]);
    expect(tlsEnv(false)).toEqual([]);
  });
});

describe("a certificate of one's own is checked before any resource", () => {
  const chain = makeChain({ dns: ["localhost", "registry.example.invalid"], ip: ["127.0.0.1"] });
  const other = makeChain({ dns: ["localhost"] });

  test("a matching key, a CA that signed it and a covered host pass, by name or by IP", () => {
    const material = { certificate: chain.certificate, key: chain.key, ca: chain.ca };
    expect(tlsMaterialProblems(material, "localhost:32000")).toEqual([]);
    expect(tlsMaterialProblems(material, "registry.example.invalid:5000")).toEqual([]);
    expect(tlsMaterialProblems(material, "127.0.0.1:32000")).toEqual([]);
  });

  test("each wrong piece is named by its key, without quoting it", () => {
    const material = { certificate: chain.certificate, key: chain.otherKey, ca: other.ca };
    expect(tlsMaterialProblems(material, "other.example.invalid:5000")).toEqual([
      { key: "key", problem: "is not the private key of registryTlsCertificate" },
      { key: "ca", problem: "did not sign registryTlsCertificate (give the CA that issued it)" },
      { key: "certificate", problem: "does not name other.example.invalid (registry.host) in its subject alternative names" },
    ]);
    expect(tlsMaterialProblems({ certificate: "x", key: "y", ca: "z" }, "localhost")).toEqual([
      { key: "certificate", problem: "is not a PEM certificate (-----BEGIN CERTIFICATE-----)" },
      { key: "ca", problem: "is not a PEM certificate (-----BEGIN CERTIFICATE-----)" },
      { key: "key", problem: "is not a PEM private key" },
    ]);
    const expired = makeChain({ dns: ["localhost"] }, { expired: true });
    expect(tlsMaterialProblems({ certificate: expired.certificate, key: expired.key, ca: expired.ca }, "localhost").map((p) => p.problem)).toEqual([
      expect.stringMatching(/^expired on /),
    ]);
  });
});

test("containerd's hosts.toml: HTTPS verified against the ca.crt beside it, or plain HTTP without TLS", () => {
  expect(containerdHostsToml("registry.example.invalid:32000", { tls: true })).toBe(
    'server = "https://registry.example.invalid:32000"\n\n[host."https://registry.example.invalid:32000"]\n  capabilities = ["pull", "resolve"]\n  ca = "ca.crt"\n',
  );
  expect(containerdHostsToml("node1:32000", { tls: false })).toBe('server = "http://node1:32000"\n\n[host."http://node1:32000"]\n  capabilities = ["pull", "resolve"]\n');
});

function sh(script: string, env: Record<string, string>, stubs: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "tls-stub-"));
  for (const [name, body] of Object.entries(stubs)) fs.writeFileSync(path.join(bin, name), body, { mode: 0o755 });
  return new Promise((resolve) => {
    execFile("/bin/sh", ["-c", script], { env: { PATH: `${bin}:/usr/bin:/bin`, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const CA = "-----BEGIN CERTIFICATE-----\nTESTCA\n-----END CERTIFICATE-----";

describe("Docker trusts the CA before the push", () => {
  const trustEnv = (certsDir: string, tmp: string) => ({ REGISTRY_CA: CA, REGISTRY_HOST: "localhost:32000", DOCKER_CERTS_DIR: certsDir, STAGED_CA_NAME: "microk8s-pipeline-prod-registry-ca.crt", TMPDIR: tmp });

  test("where it can write, it installs <certs dir>/<host>/ca.crt (readable by the daemon) and says so", async () => {
    const certsDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "certs.d-")), "certs.d");
    const run = await sh(dockerTrustScript(), trustEnv(certsDir, os.tmpdir()));
    expect(run).toMatchObject({ code: 0, stderr: "" });
    const file = path.join(certsDir, "localhost:32000", "ca.crt");
    expect(fs.readFileSync(file, "utf8")).toBe(`${CA}\n`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    expect(run.stdout.trim()).toBe(`Docker trusts localhost:32000 through ${path.join(certsDir, "localhost:32000")}/ca.crt`);
  });

  test("where it cannot, it stages the CA and stops with the one command that installs it", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "staged-"));
    // Under a file, so no user (root included) can make the folder.
    const blocked = path.join(tmp, "not-a-dir");
    fs.writeFileSync(blocked, "");
    const run = await sh(dockerTrustScript(), trustEnv(`${blocked}/certs.d`, tmp));
    expect(run.code).toBe(1);
    const staged = path.join(tmp, "microk8s-pipeline-prod-registry-ca.crt");
    expect(run.stderr.trim()).toBe(
      `Docker must trust the registry CA before the push, and ${blocked}/certs.d/localhost:32000 is not writable here. Run: sudo install -D -m 0644 ${staged} ${blocked}/certs.d/localhost:32000/ca.crt (then pulumi up again)`,
    );
    expect(fs.readFileSync(staged, "utf8")).toBe(`${CA}\n`);
  });
});

describe("the other clients verify the registry against the CA", () => {
  test("the readiness wait gives curl the CA as a file, and no CA flag without one", async () => {
    const record = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "curl-")), "args");
    const curl = `#!/bin/sh\necho "$*" >> "${record}"\nfor a in "$@"; do [ -n "$next" ] && cat "$a" >> "${record}.ca"; next=; [ "$a" = --cacert ] && next=1; done\nprintf 401\n`;
    expect((await sh(waitForRegistryScript("https://localhost:32000", 1, 1, "hint"), { REGISTRY_CA: CA }, { curl })).code).toBe(0);
    expect(fs.readFileSync(record, "utf8")).toMatch(/--cacert \/tmp\/\S+ https:\/\/localhost:32000\/v2\/$/m);
    expect(fs.readFileSync(`${record}.ca`, "utf8")).toBe(`${CA}\n`);
    fs.rmSync(record);
    expect((await sh(waitForRegistryScript("http://localhost:32000", 1, 1, "hint"), {}, { curl })).code).toBe(0);
    expect(fs.readFileSync(record, "utf8")).not.toContain("--cacert");
  });

  test("cosign and Trivy get the CA through SSL_CERT_DIR, never an insecure flag", async () => {
    const record = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "go-client-")), "seen");
    const stub = `#!/bin/sh\necho "$0 $*" >> "${record}"\ncat "$SSL_CERT_DIR/registry-ca.crt" >> "${record}"\n[ "$1" = convert ] && [ "$4" = template ] && echo '{"CRITICAL":0,"HIGH":0,"MEDIUM":0,"LOW":0,"UNKNOWN":0}'\nexit 0\n`;
    const ref = `localhost:32000/production/web@sha256:${"a".repeat(64)}`;
    const signed = await sh(signScript({ insecure: false }), { IMAGE_DIGEST_REF: ref, REGISTRY_CA: CA, COSIGN_PRIVATE_KEY: "k", COSIGN_PASSWORD: "p" }, { cosign: stub });
    expect(signed.code).toBe(0);
    const settings = { enabled: true, trivy: "trivy", severity: "CRITICAL", ignoreUnfixed: false, offline: true, ignore: [] } as never;
    const scanned = await sh(scanScript(settings, { insecure: false }), { IMAGE_DIGEST_REF: ref, REGISTRY_CA: CA, SCAN_IGNORE: "{}" }, { trivy: stub });
    expect(scanned.stderr).toBe("");
    const seen = fs.readFileSync(record, "utf8");
    expect(seen.split(CA).length - 1).toBe(4);
    expect(seen).not.toMatch(/--insecure|--allow-http-registry|--allow-insecure-registry/);
  });
});

describe("a moving tag is pushed through the daemon and must land on the build's digest", () => {
  const digest = `sha256:${"b".repeat(64)}`;
  const docker = (pushed: string) => `#!/bin/sh\n[ "$1" = push ] && echo "stable: digest: ${pushed} size: 528"\ncat "$DOCKER_CONFIG/config.json" > "$DOCKER_CONFIG.seen" 2>/dev/null\nexit 0\n`;
  const env = { SOURCE_IMAGE: "localhost:32000/production/web:v1", TARGET_IMAGE: "localhost:32000/production/web:stable", IMAGE_DIGEST_REF: `localhost:32000/production/web@${digest}` };

  test("the same digest passes", async () => {
    expect(await sh(pushTagScript(), env, { docker: docker(digest) })).toMatchObject({ code: 0, stderr: "" });
  });

  test("another digest fails, naming both", async () => {
    const other = `sha256:${"c".repeat(64)}`;
    const run = await sh(pushTagScript(), env, { docker: docker(other) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`pushed localhost:32000/production/web:stable as ${other}, but the build pushed ${digest}`);
  });

  test("a reference that is not by digest is refused before any push", async () => {
    const run = await sh(pushTagScript(), { ...env, IMAGE_DIGEST_REF: "localhost:32000/production/web:v1" }, { docker: "#!/bin/sh\necho pushed >&2\nexit 0\n" });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe("refusing to tag localhost:32000/production/web:v1: not a digest reference");
  });
});
