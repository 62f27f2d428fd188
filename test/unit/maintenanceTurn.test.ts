import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createdBefore, finished, JobObject, jobsAhead } from "../../prune/turn";
import { GC_TIMEOUTS, gcWindowScript } from "../../lib/gcScript";

const job = (name: string, creationTimestamp: string, ...trueConditions: string[]): JobObject => ({
  metadata: { name, creationTimestamp },
  status: { conditions: trueConditions.map((type) => ({ type, status: "True" })) },
});

describe("maintenance Jobs take turns in creation order (prune/turn.ts)", () => {
  const gc = job("registry-managed-gc-29000100", "2026-12-02T03:30:00Z");
  const retention = job("registry-managed-retention-29000040", "2026-12-02T02:00:00Z");

  test("a Job is finished once Complete or Failed is true, not before (SuccessCriteriaMet alone, or a false Complete)", () => {
    expect(finished(job("a", "t", "Complete"))).toBe(true);
    expect(finished(job("a", "t", "Failed"))).toBe(true);
    expect(finished(job("a", "t", "SuccessCriteriaMet"))).toBe(false);
    expect(finished({ metadata: { name: "a" }, status: { conditions: [{ type: "Complete", status: "False" }] } })).toBe(false);
    expect(finished({ metadata: { name: "a" } })).toBe(false);
  });

  test("the earlier unfinished Job goes first, whichever kind it is; the later one waits", () => {
    expect(jobsAhead([gc, retention], gc)).toEqual(["registry-managed-retention-29000040"]);
    expect(jobsAhead([gc, retention], retention)).toEqual([]);
    expect(jobsAhead([gc, job(retention.metadata!.name!, "2026-12-02T02:00:00Z", "Complete")], gc)).toEqual([]);
  });

  test("two Jobs created in the same second never wait for each other: the name decides", () => {
    const a = job("registry-managed-gc-1", "2026-12-02T03:00:00Z");
    const b = job("registry-managed-retention-1", "2026-12-02T03:00:00Z");
    expect([createdBefore(a, b), createdBefore(b, a)]).toEqual([true, false]);
    expect([jobsAhead([a, b], a), jobsAhead([a, b], b)]).toEqual([[], ["registry-managed-gc-1"]]);
  });

  test("a Date from the client library orders like the API's RFC 3339 text", () => {
    const fromLibrary: JobObject = { metadata: { name: "x", creationTimestamp: new Date("2026-12-02T02:00:00Z") } };
    expect(createdBefore(fromLibrary, gc)).toBe(true);
    expect(createdBefore(gc, fromLibrary)).toBe(false);
  });
});

describe("the GC window's turn, in shell, with a stub kubectl answering the Jobs list", () => {
  const registry = "registry-managed-0a1b2c3d";
  const runTurn = (jobsListed: string, me: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gc-turn-"));
    fs.writeFileSync(path.join(dir, "jobs"), jobsListed);
    fs.writeFileSync(path.join(dir, "kubectl"), `#!/bin/sh\necho "$*" >> "${dir}/calls"\ncat "${dir}/jobs"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "sleep"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const script = gcWindowScript("container-registry", registry, path.join(dir, "window"), { ...GC_TIMEOUTS, turnSeconds: 10 });
    fs.mkdirSync(path.join(dir, "window"));
    // Only the turn: the script up to the trap, then a marker.
    const turnOnly = `${script.slice(0, script.indexOf("renewer="))}echo "MY TURN"\n`;
    const result = spawnSync("/bin/sh", ["-c", turnOnly], { env: { PATH: `${dir}:/usr/bin:/bin`, JOB_NAME: me }, encoding: "utf8" });
    const calls = fs.readFileSync(path.join(dir, "calls"), "utf8");
    const aborted = fs.existsSync(path.join(dir, "window", "abort"));
    fs.rmSync(dir, { recursive: true, force: true });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr, calls, aborted };
  };
  const listed = (...rows: string[]) => rows.map((r) => `${r}\n`).join("");

  test("an earlier retention Job still running: the window waits, says for whom, and gives up with nothing done (the collector told to stop)", () => {
    const ran = runTurn(listed(`2026-12-02T02:00:00Z ${registry}-retention-1 `, `2026-12-02T03:30:00Z ${registry}-gc-2 `), `${registry}-gc-2`);
    expect(ran.stdout).toContain(`waiting for ${registry}-retention-1 (maintenance of the registry, started earlier) to finish`);
    expect(ran.stdout).not.toContain("MY TURN");
    expect(ran.stderr).toContain("still running after 10s: nothing done");
    expect([ran.code, ran.aborted]).toEqual([1, true]);
    expect(ran.calls).toContain(`-n container-registry get jobs -l microk8s-pipeline/maintains=${registry}`);
  });

  test("the earlier Jobs finished (Complete, Failed), or a later one is running: its turn", () => {
    const done = runTurn(
      listed(`2026-12-02T01:00:00Z ${registry}-retention-0 Failed`, `2026-12-02T02:00:00Z ${registry}-retention-1 SuccessCriteriaMet Complete`, `2026-12-02T03:30:00Z ${registry}-gc-2 `),
      `${registry}-gc-2`,
    );
    expect({ code: done.code, stdout: done.stdout }).toEqual({ code: 0, stdout: "MY TURN\n" });
    const later = runTurn(listed(`2026-12-02T03:30:00Z ${registry}-gc-2 `, `2026-12-02T03:30:05Z ${registry}-retention-3 `), `${registry}-gc-2`);
    expect(later.stdout).toBe("MY TURN\n");
  });

  test("its own Job missing from the list (no label, another registry): it stops with nothing done", () => {
    const ran = runTurn(listed(`2026-12-02T02:00:00Z ${registry}-retention-1 `), `${registry}-gc-2`);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(`no Job ${registry}-gc-2 with the microk8s-pipeline/maintains label of ${registry}`);
    expect(ran.aborted).toBe(true);
  });
});
