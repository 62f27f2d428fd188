import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GC_TIMEOUTS, gcCollectScript, gcGuardScript, gcWindowScript } from "../../lib/gcScript";

// A renewal period longer than any test: the lease is taken once, and the calls stay deterministic.
// The polling waits are shortened by the stub `sleep` (stub() below), so the budgets count iterations.
const TIMEOUTS = { ...GC_TIMEOUTS, rolloutSeconds: 300, collectSeconds: 60, renewSeconds: 600 };

const sh = (script: string, env: Record<string, string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile("/bin/sh", ["-c", script], { env }, (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });

interface Stub {
  env: Record<string, string>;
  dir: string;
  calls(): string[];
}

/**
 * Stub `kubectl` and `registry` that record their arguments and fail on the step named in FAIL_ON. The
 * kubectl stub answers `get`: terminatingReplicas from the lines of `terminating` in turn (the last one
 * from then on; none when the file is missing), a grace period of 1 s, and the guard's read from `state`.
 */
function stub(failOn = "", files: Record<string, string> = {}): Stub {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gc-stub-"));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const log = path.join(dir, "calls.log");
  const answers = [
    'case "$*" in',
    `  *terminatingReplicas*) f="${dir}/terminating"; [ -e "$f" ] || exit 0; head -n 1 "$f"; [ "$(wc -l < "$f")" -le 1 ] || sed -i 1d "$f" ;;`,
    "  *terminationGracePeriodSeconds*) echo 1 ;;",
    `  *"get deployment"*) cat "${dir}/state" 2>/dev/null ;;`,
    // The window's turn: its own Job alone in the registry's maintenance Jobs (test/unit/maintenanceTurn.test.ts has the rest).
    '  *"get jobs"*) echo "2026-12-02T03:30:00Z $JOB_NAME " ;;',
    "esac",
  ].join("\n");
  for (const tool of ["kubectl", "registry"]) {
    fs.writeFileSync(
      path.join(bin, tool),
      `#!/bin/sh\nprintf '%s\\n' "${tool} $*" >> "${log}"\ncase "$*" in *"$FAIL_ON"*) [ -n "$FAIL_ON" ] && { echo "stub: $FAIL_ON failed" >&2; exit 3; };; esac\n${tool === "kubectl" ? answers : ""}\nexit 0\n`,
      { mode: 0o755 },
    );
  }
  // The scripts poll every 2 s (5 s for the turn): here a tenth of a second. A wait longer than any test
  // (the lease renewal's) is kept as asked, so the lease is still taken once.
  fs.writeFileSync(path.join(bin, "sleep"), '#!/bin/sh\ncase "$1" in [0-9] | [0-9][0-9]) exec /bin/sleep 0.1 ;; esac\nexec /bin/sleep "$@"\n', { mode: 0o755 });
  return {
    env: { PATH: `${bin}:/usr/bin:/bin`, FAIL_ON: failOn, JOB_NAME: "registry-managed-1a2b3c-gc-29000100" },
    dir,
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []),
  };
}

/** Runs the window and the collector side by side, as the CronJob's two containers, sharing a folder. */
async function runWindow(failOn?: string, files: Record<string, string> = { terminating: "0\n" }, timeouts = TIMEOUTS) {
  const s = stub(failOn, files);
  const shared = path.join(s.dir, "window");
  fs.mkdirSync(shared);
  const [window, collector] = await Promise.all([
    sh(gcWindowScript("container-registry", "registry-managed-1a2b3c", shared, timeouts), s.env),
    sh(gcCollectScript("/etc/distribution/config.yml", shared, timeouts), s.env),
  ]);
  return { window, collector, calls: s.calls() };
}

const k = "kubectl -n container-registry";
const target = "deployment/registry-managed-1a2b3c";
const lease = expect.stringMatching(new RegExp(`^${k} annotate --overwrite ${target} microk8s-pipeline/gc-window-expires=\\d+$`));
const switchPatch = (value: string) => JSON.stringify({ spec: { template: { metadata: { annotations: { "microk8s-pipeline/registry-readonly": value } } } } });
const readOnlyOn = `${k} patch ${target} --type=merge -p ${switchPatch('{"enabled":true}')}`;
const rollout = `${k} rollout status ${target} --timeout=300s`;
const terminating = `${k} get ${target} -o jsonpath={.status.terminatingReplicas}`;
const collect = "registry garbage-collect /etc/distribution/config.yml";
const readOnlyOff = `${k} patch ${target} --type=merge -p ${switchPatch('{"enabled":false}')}`;
const leaseOff = `${k} annotate ${target} microk8s-pipeline/gc-window-expires-`;
const turn = `${k} get jobs -l microk8s-pipeline/maintains=registry-managed-1a2b3c -o jsonpath={range .items[*]}{.metadata.creationTimestamp} {.metadata.name} {.status.conditions[?(@.status=="True")].type}{"\\n"}{end}`;

describe("the GC window and its collector", () => {
  test("lease, read-only on, rollout, no old pod left, collect, then read-only and the lease off; both containers succeed", async () => {
    const run = await runWindow();
    expect([run.window.code, run.collector.code]).toEqual([0, 0]);
    expect(run.calls).toEqual([turn, lease, readOnlyOn, rollout, terminating, collect, readOnlyOff, leaseOff, rollout]);
  });

  test("the collector waits until the last read-write pod has stopped, not only for the rollout", async () => {
    const run = await runWindow(undefined, { terminating: "2\n1\n1\n0\n" }, TIMEOUTS);
    expect([run.window.code, run.collector.code]).toEqual([0, 0]);
    expect(run.calls.slice(0, 9)).toEqual([turn, lease, readOnlyOn, rollout, terminating, terminating, terminating, terminating, collect]);
    expect(run.window.stdout).toContain("waiting for 2 read-write registry pod(s) to stop\nwaiting for 1 read-write registry pod(s) to stop\nregistry is read-only");
  });

  test("on a cluster that does not count terminating pods, it waits out their grace period", async () => {
    const run = await runWindow(undefined, {});
    expect([run.window.code, run.collector.code]).toEqual([0, 0]);
    expect(run.window.stdout).toContain("this cluster does not count terminating pods: waiting out their grace period (1s)");
    expect(run.calls.indexOf(collect)).toBeGreaterThan(run.calls.findIndex((c) => c.includes("terminationGracePeriodSeconds")));
  });

  test("when the collector fails, read-only is still switched off and the job fails", async () => {
    const run = await runWindow("garbage-collect");
    expect(run.window.code).toBe(3);
    expect(run.collector.code).toBe(3);
    expect(run.calls).toEqual([turn, lease, readOnlyOn, rollout, terminating, collect, readOnlyOff, leaseOff, rollout]);
  });

  test("when the read-only rollout fails, nothing is collected and read-only is switched off", async () => {
    const run = await runWindow("rollout status");
    expect(run.window.code).not.toBe(0);
    expect(run.collector.code).toBe(1);
    expect(run.collector.stderr).toContain("the window failed before read-only: nothing collected");
    expect(run.calls).toEqual([turn, lease, readOnlyOn, rollout, readOnlyOff, leaseOff, rollout]);
  });

  test("never runs the collector with --delete-untagged (it deletes index children on 2.8)", async () => {
    const run = await runWindow();
    expect(run.calls.filter((c) => c.includes("garbage-collect"))).toEqual([collect]);
    expect(run.calls.some((c) => c.includes("delete-untagged"))).toBe(false);
  });

  test("refuses names that are not DNS labels and config paths that are not plain paths", () => {
    expect(() => gcWindowScript("ns; rm -rf /", "reg")).toThrow("namespace must be a DNS label");
    expect(() => gcGuardScript("ns", "reg$(id)")).toThrow("deployment must be a DNS label");
    expect(() => gcCollectScript("/etc/x.yml; rm -rf /")).toThrow("configPath must be an absolute path");
  });
});

describe("the guard that gives the registry back", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const guard = async (state: string) => {
    const s = stub("", { state });
    const run = await sh(gcGuardScript("container-registry", "registry-managed-1a2b3c"), s.env);
    return { ...run, writes: s.calls().filter((c) => !c.includes(" get ")) };
  };

  test.each([
    ["a writable registry", '{"enabled":false}|', "registry is writable"],
    ["a read-only registry whose window holds a live lease", `{"enabled":true}|${now() + 60}`, "a GC window holds read-only until"],
  ])("leaves %s alone", async (_what, state, said) => {
    const run = await guard(state);
    expect({ code: run.code, writes: run.writes }).toEqual({ code: 0, writes: [] });
    expect(run.stdout).toContain(said);
  });

  test.each([
    ["an expired lease", `{"enabled":true}|${now() - 1}`],
    ["no lease at all", `{"enabled":true}|`],
    ["a lease that is not a time", `{"enabled":true}|soon`],
  ])("switches read-only off after %s", async (_what, state) => {
    const run = await guard(state);
    expect(run.code).toBe(0);
    expect(run.writes).toEqual([readOnlyOff, leaseOff, rollout]);
    expect(run.stdout).toContain("registry left read-only by a GC window that is gone");
  });
});
