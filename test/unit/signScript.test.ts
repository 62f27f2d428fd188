import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { COSIGN_MISSING, signScript } from "../../lib/signScript";

const REF = `localhost:32000/production/web@sha256:${"a".repeat(64)}`;

function runScript(script: string, env: Record<string, string>, stubCosign?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "sign-stub-"));
  if (stubCosign) fs.writeFileSync(path.join(bin, "cosign"), stubCosign, { mode: 0o755 });
  return new Promise((resolve) => {
    execFile("/bin/sh", ["-c", script], { env: { PATH: `${bin}:/usr/bin:/bin`, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("signScript", () => {
  test("fails with a message naming cosign when it is not installed", async () => {
    const run = await runScript(signScript({ insecure: true }), { IMAGE_DIGEST_REF: REF });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(COSIGN_MISSING);
  });

  test("signs the digest with the key from the environment, no tlog, registry credentials in a private DOCKER_CONFIG", async () => {
    const record = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sign-record-")), "record");
    const stub = `#!/bin/sh\necho "$*" > "${record}.args"\ncat "$DOCKER_CONFIG/config.json" > "${record}.config"\nstat -c %a "$DOCKER_CONFIG/config.json" > "${record}.mode"\necho "$DOCKER_CONFIG" > "${record}.dir"\n`;
    const config = JSON.stringify({ auths: { "localhost:32000": { auth: "dXNlcjpwdw==" } } });
    const run = await runScript(signScript({ insecure: true }), { IMAGE_DIGEST_REF: REF, REGISTRY_DOCKER_CONFIG: config, COSIGN_PRIVATE_KEY: "k", COSIGN_PASSWORD: "p" }, stub);
    expect(run.code).toBe(0);
    expect(fs.readFileSync(`${record}.args`, "utf8").trim()).toBe(
      `sign --yes --key env://COSIGN_PRIVATE_KEY --tlog-upload=false --allow-http-registry --allow-insecure-registry ${REF}`,
    );
    expect(fs.readFileSync(`${record}.config`, "utf8")).toBe(config);
    expect(fs.readFileSync(`${record}.mode`, "utf8").trim()).toBe("600");
    expect(fs.existsSync(fs.readFileSync(`${record}.dir`, "utf8").trim())).toBe(false);
    expect(run.stdout).toContain(`signed ${REF}`);
  });

  test("a TLS registry gets no http flags", async () => {
    const record = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sign-record-")), "args");
    const run = await runScript(signScript({ insecure: false }), { IMAGE_DIGEST_REF: REF, COSIGN_PRIVATE_KEY: "k", COSIGN_PASSWORD: "p" }, `#!/bin/sh\necho "$*" > "${record}"\n`);
    expect(run.code).toBe(0);
    expect(fs.readFileSync(record, "utf8").trim()).toBe(`sign --yes --key env://COSIGN_PRIVATE_KEY --tlog-upload=false ${REF}`);
  });

  test("refuses a reference that is not a digest, and a failing cosign fails the step", async () => {
    const refused = await runScript(signScript({ insecure: true }), { IMAGE_DIGEST_REF: "localhost:32000/web:latest" }, "#!/bin/sh\nexit 0\n");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("not a digest reference");
    const failing = await runScript(signScript({ insecure: true }), { IMAGE_DIGEST_REF: REF }, "#!/bin/sh\necho boom >&2\nexit 4\n");
    expect(failing.code).toBe(4);
  });
});
