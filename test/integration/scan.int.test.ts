/**
 * The vulnerability gate's script, run as its Command runs it (sh, the env the component sets), against
 * the real registry with htpasswd and the real Trivy, offline, on a database built by Trivy's own builder
 * from one test advisory against the sample app's pinned prom-client (setup.sh builds both).
 */
import * as fs from "fs";
import * as path from "path";
import { scanSchema } from "../../config/appsSchema";
import { scanScript, trivyIgnoreFile } from "../../lib/scanScript";
import { carrying, watchCmdlines } from "../cmdlineWatch";
import { ROOT } from "../harness";
import { RunningRegistry, startPlainRegistry } from "./plainRegistry";
import { buildSampleApp } from "./sampleApp";
import { GO_TOOLS_DIR, REGISTRY_TEST_IMAGE, requireTestEnvironment, run, SETUP_COMMAND, tempDir } from "./testEnv";

const TRIVY = path.join(GO_TOOLS_DIR, "trivy");
const CACHE = path.join(ROOT, ".test-env", "trivy-cache");
const ADVISORY = "GHSA-9xm2-fx7q-p3c4";
const [USER, PASSWORD] = ["ci", "scan-test-password"];

describe("the vulnerability gate (Trivy, offline database fixture)", () => {
  let registry: RunningRegistry;
  let app: string;
  let clean: string;

  /** Runs the gate on `image` with these settings, as the ImageScan Command does. */
  async function gate(image: string, settings: Record<string, unknown>, credentials = true) {
    const parsed = scanSchema.parse({ enabled: true, trivy: TRIVY, cacheDir: CACHE, offline: true, ...settings });
    const auth = Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      IMAGE_DIGEST_REF: image,
      SCAN_IGNORE: trivyIgnoreFile(parsed.ignore),
      ...(credentials ? { REGISTRY_DOCKER_CONFIG: JSON.stringify({ auths: { [registry.host]: { auth } } }) } : {}),
    };
    return run("/bin/sh", ["-c", scanScript(parsed, { insecure: true })], { env });
  }

  /** Copies a local image into the test registry and returns its `repo@digest`. */
  async function push(local: string, repo: string): Promise<string> {
    const dest = `${registry.host}/${repo}:1`;
    const copied = await run("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", "--dest-creds", `${USER}:${PASSWORD}`, `docker-daemon:${local}`, `docker://${dest}`]);
    if (copied.code !== 0) throw new Error(`skopeo copy ${local}: ${copied.stderr}`);
    const inspected = await run("skopeo", ["inspect", "--tls-verify=false", "--creds", `${USER}:${PASSWORD}`, "--format", "{{.Digest}}", `docker://${dest}`]);
    return `${registry.host}/${repo}@${inspected.stdout.trim()}`;
  }

  beforeAll(async () => {
    await requireTestEnvironment();
    for (const needed of [TRIVY, path.join(CACHE, "db", "trivy.db")]) {
      if (!fs.existsSync(needed)) throw new Error(`${needed} is missing: run ${SETUP_COMMAND}`);
    }
    const dir = tempDir("htpasswd");
    fs.writeFileSync(path.join(dir, "htpasswd"), (await run("htpasswd", ["-nbB", USER, PASSWORD])).stdout);
    registry = await startPlainRegistry({ deletes: false, htpasswdFile: path.join(dir, "htpasswd") });
    app = await push(await buildSampleApp(), "team/web");
    clean = await push(REGISTRY_TEST_IMAGE, "team/registry");
  }, 600_000);

  afterAll(async () => {
    await registry?.stop();
  });

  test("fails on the advisory against prom-client, with Trivy's table naming it, the package, the installed and fixed versions", async () => {
    const result = await gate(app, {});
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`prom-client.*${ADVISORY}.*HIGH.*fixed.*15\\.1\\.3.*15\\.1\\.4`));
    expect(result.stderr).toContain(`vulnerability gate: ${app} has findings of severity HIGH,CRITICAL, listed above`);
    expect(result.stdout).toBe("");
  }, 300_000);

  test("passes when the finding is accepted with a reason, and still counts nothing at the threshold", async () => {
    const result = await gate(app, { ignore: [{ id: ADVISORY, reason: "the metrics endpoint is cluster-internal" }] });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(result.stdout)).toEqual({ CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 });
  }, 300_000);

  test("passes below the threshold and counts the finding in the summary", async () => {
    const result = await gate(app, { severity: "CRITICAL" });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ CRITICAL: 0, HIGH: 1 });
  }, 300_000);

  test("passes for an image without findings", async () => {
    const result = await gate(clean, {});
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(result.stdout)).toEqual({ CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 });
  }, 300_000);

  test("hands the registry credentials to Trivy in a private DOCKER_CONFIG: never on a command line", async () => {
    const watch = watchCmdlines();
    const result = await gate(clean, {});
    const lines = await watch.stop();
    expect(result.code).toBe(0);
    expect(lines.some((l) => l.includes("image --quiet --image-src remote"))).toBe(true);
    expect(carrying(lines, [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString("base64")])).toEqual([]);
  }, 300_000);

  test("reads the image with the registry credentials it is given (without them the registry refuses)", async () => {
    const result = await gate(app, {}, false);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/UNAUTHORIZED|401/);
    expect(result.stderr).not.toContain("listed above");
  }, 300_000);

  test("a missing trivy names what to install", async () => {
    const result = await gate(app, { trivy: "/nonexistent/trivy" });
    expect(result.code).toBe(127);
    expect(result.stderr).toContain("images.scan is enabled but trivy (/nonexistent/trivy) is not on the machine running pulumi up: install Trivy v0.74.0");
  });
});
