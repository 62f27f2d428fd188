import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../harness";

/** Runs scripts/s3-keys.sh with a stand-in pulumi whose `stack export --show-secrets` prints `resources`. */
function s3Keys(args: string[], resources: unknown[]) {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "s3-keys-bin-"));
  fs.writeFileSync(path.join(bin, "state.json"), JSON.stringify({ deployment: { resources } }));
  fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\necho "$*" > "${bin}/args"\ncat "${bin}/state.json"\n`, { mode: 0o755 });
  fs.symlinkSync(execFileSync("sh", ["-c", "command -v node"], { encoding: "utf8" }).trim(), path.join(bin, "node"));
  for (const tool of ["dirname", "cat"]) fs.symlinkSync(execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim(), path.join(bin, tool));
  const result = spawnSync("/bin/bash", [path.join(ROOT, "scripts", "s3-keys.sh"), ...args], { env: { PATH: bin, HOME: bin }, encoding: "utf8" });
  const called = fs.existsSync(path.join(bin, "args")) ? fs.readFileSync(path.join(bin, "args"), "utf8").trim() : "";
  fs.rmSync(bin, { recursive: true, force: true });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, called };
}

/** A generated key as `pulumi stack export --show-secrets` writes a secret output. */
const generated = (name: string, value: string) => ({
  urn: `urn:pulumi:prod::microk8s-pipeline::microk8s-pipeline:registry:PrivateRegistry$microk8s-pipeline:registry:ManagedRegistry$random:index/randomPassword:RandomPassword::${name}`,
  type: "random:index/randomPassword:RandomPassword",
  outputs: { result: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(value) } },
});

describe("scripts/s3-keys.sh", () => {
  test("prints the MinIO commands that register the generated keys, read from the state with --show-secrets", () => {
    const run = s3Keys(["prod", "local"], [generated("registry-managed-s3-access-key", "AKIA0123456789ABCDEF"), generated("registry-managed-s3-secret-key", "s3cr3tS3cr3t")]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
    expect(run.called).toBe("stack export --show-secrets --stack prod --non-interactive");
    expect(run.stdout.split("\n").filter((l) => l.startsWith("mc "))).toEqual([
      "mc admin user add local AKIA0123456789ABCDEF s3cr3tS3cr3t",
      "mc admin policy attach local readwrite --user AKIA0123456789ABCDEF",
    ]);
  });

  test("says so when the state holds no generated keys", () => {
    const run = s3Keys(["prod"], []);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("s3-keys: prod has no generated S3 keys in its state");
  });

  test("refuses keys that are not what the program generates, rather than print them into a shell command", () => {
    const run = s3Keys(["prod"], [generated("registry-managed-s3-access-key", "AKIA; rm -rf /"), generated("registry-managed-s3-secret-key", "x")]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
  });

  test.each([[["prdo"], "name a stack"], [["prod", "a b"], "the mc alias must be"]])("refuses bad arguments %j before reading the state", (args, message) => {
    const run = s3Keys(args, []);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.called).toBe("");
  });
});
