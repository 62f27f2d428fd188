import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gcScript } from "../../lib/gcScript";

/** Runs the script with a stub kubectl that records its arguments and fails on the step named in FAIL_ON. */
function runWithStub(failOn?: string): Promise<{ code: number; calls: string[]; stderr: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gc-stub-"));
  const log = path.join(dir, "calls.log");
  fs.writeFileSync(
    path.join(dir, "kubectl"),
    `#!/bin/sh\necho "$*" >> "${log}"\ncase "$*" in *"$FAIL_ON"*) [ -n "$FAIL_ON" ] && { echo "stub: $FAIL_ON failed" >&2; exit 3; };; esac\nexit 0\n`,
    { mode: 0o755 },
  );
  return new Promise((resolve) => {
    execFile("/bin/sh", ["-c", gcScript("container-registry", "registry-managed-1a2b3c")], { env: { PATH: `${dir}:/usr/bin:/bin`, FAIL_ON: failOn ?? "" } }, (error, _out, stderr) => {
      const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, calls, stderr });
    });
  });
}

const readOnlyOn = `-n container-registry set env deployment/registry-managed-1a2b3c REGISTRY_STORAGE_MAINTENANCE_READONLY={"enabled":true}`;
const rollout = "-n container-registry rollout status deployment/registry-managed-1a2b3c --timeout=600s";
const collect = "-n container-registry exec deployment/registry-managed-1a2b3c -c registry -- registry garbage-collect /etc/docker/registry/config.yml";
const readOnlyOff = "-n container-registry set env deployment/registry-managed-1a2b3c REGISTRY_STORAGE_MAINTENANCE_READONLY-";

describe("gcScript", () => {
  test("read-only on, rollout, collect, then read-only off", async () => {
    const run = await runWithStub();
    expect(run.code).toBe(0);
    expect(run.calls).toEqual([readOnlyOn, rollout, collect, readOnlyOff, rollout]);
  });

  test.each([
    ["the collector fails", "garbage-collect", [readOnlyOn, rollout, collect, readOnlyOff, rollout]],
    ["the read-only rollout fails", "rollout status", [readOnlyOn, rollout, readOnlyOff, rollout]],
  ])("when %s, read-only is still switched off and the job fails", async (_what, failOn, calls) => {
    const run = await runWithStub(failOn);
    expect(run.code).not.toBe(0);
    expect(run.calls).toEqual(calls);
  });

  test("never runs the collector with --delete-untagged (it deletes index children on 2.8)", async () => {
    const run = await runWithStub();
    expect(run.calls.filter((c) => c.includes("garbage-collect"))).toEqual([collect]);
    expect(run.calls.some((c) => c.includes("delete-untagged"))).toBe(false);
  });

  test("refuses names that are not DNS labels", () => {
    expect(() => gcScript("ns; rm -rf /", "reg")).toThrow("namespace must be a DNS label");
  });
});
