import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gcCollectScript, gcWindowScript } from "../../lib/gcScript";

const TIMEOUTS = { rolloutSeconds: 300, collectSeconds: 6 };

const sh = (script: string, env: Record<string, string>) =>
  new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile("/bin/sh", ["-c", script], { env }, (error, _out, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }));
  });

/**
 * Runs the window and the collector side by side, as the CronJob's two containers, sharing a folder; stub
 * `kubectl` and `registry` record their arguments, and fail on the step named in FAIL_ON.
 */
async function runWindow(failOn?: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gc-stub-"));
  const [bin, shared] = [path.join(dir, "bin"), path.join(dir, "window")];
  fs.mkdirSync(bin);
  fs.mkdirSync(shared);
  const log = path.join(dir, "calls.log");
  for (const tool of ["kubectl", "registry"]) {
    fs.writeFileSync(
      path.join(bin, tool),
      `#!/bin/sh\necho "${tool} $*" >> "${log}"\ncase "$*" in *"$FAIL_ON"*) [ -n "$FAIL_ON" ] && { echo "stub: $FAIL_ON failed" >&2; exit 3; };; esac\nexit 0\n`,
      { mode: 0o755 },
    );
  }
  const env = { PATH: `${bin}:/usr/bin:/bin`, FAIL_ON: failOn ?? "" };
  const [window, collector] = await Promise.all([
    sh(gcWindowScript("container-registry", "registry-managed-1a2b3c", shared, TIMEOUTS), env),
    sh(gcCollectScript("/etc/distribution/config.yml", shared, TIMEOUTS), env),
  ]);
  const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
  return { window, collector, calls };
}

const readOnlyOn = `kubectl -n container-registry set env deployment/registry-managed-1a2b3c REGISTRY_STORAGE_MAINTENANCE_READONLY={"enabled":true}`;
const rollout = "kubectl -n container-registry rollout status deployment/registry-managed-1a2b3c --timeout=300s";
const collect = "registry garbage-collect /etc/distribution/config.yml";
const readOnlyOff = "kubectl -n container-registry set env deployment/registry-managed-1a2b3c REGISTRY_STORAGE_MAINTENANCE_READONLY-";

describe("the GC window and its collector", () => {
  test("read-only on, rollout, collect, then read-only off; both containers succeed", async () => {
    const run = await runWindow();
    expect([run.window.code, run.collector.code]).toEqual([0, 0]);
    expect(run.calls).toEqual([readOnlyOn, rollout, collect, readOnlyOff, rollout]);
  });

  test("when the collector fails, read-only is still switched off and the job fails", async () => {
    const run = await runWindow("garbage-collect");
    expect(run.window.code).toBe(3);
    expect(run.collector.code).toBe(3);
    expect(run.calls).toEqual([readOnlyOn, rollout, collect, readOnlyOff, rollout]);
  });

  test("when the read-only rollout fails, nothing is collected and read-only is switched off", async () => {
    const run = await runWindow("rollout status");
    expect(run.window.code).not.toBe(0);
    expect(run.collector.code).toBe(1);
    expect(run.collector.stderr).toContain("the window failed before read-only: nothing collected");
    expect(run.calls).toEqual([readOnlyOn, rollout, readOnlyOff, rollout]);
  });

  test("never runs the collector with --delete-untagged (it deletes index children on 2.8)", async () => {
    const run = await runWindow();
    expect(run.calls.filter((c) => c.includes("garbage-collect"))).toEqual([collect]);
    expect(run.calls.some((c) => c.includes("delete-untagged"))).toBe(false);
  });

  test("refuses names that are not DNS labels and config paths that are not plain paths", () => {
    expect(() => gcWindowScript("ns; rm -rf /", "reg")).toThrow("namespace must be a DNS label");
    expect(() => gcCollectScript("/etc/x.yml; rm -rf /")).toThrow("configPath must be an absolute path");
  });
});
