/**
 * Runs one stack operation on the real program under the real engine, in a process of its own so that
 * each operation loads `index.js` afresh, as `pulumi up` would. An Automation API inline program: the
 * engine needs no language host. Writes its result as JSON to RESULT_FILE (a pipe would lose the end of a
 * large result when the process exits, and the Automation API keeps handles open, so it must exit).
 *   node driver.js preview|preview-no-changes|up|up-refresh|destroy PROJECT_DIR STACK RESULT_FILE
 * With E2E_EVENTS_FILE set, each step's start and end is appended to that file as it happens, with the
 * milliseconds since the driver started, then the engine's summary and the driver's exit, so a test can act
 * at a given step (kill the engine during a push) and a bench can see where an `up` spends its time.
 */
import * as fs from "fs";
import * as path from "path";
import { EngineEvent, LocalWorkspace } from "@pulumi/pulumi/automation";

export interface DriverResult {
  ok: boolean;
  /** What the engine printed (the human view, with the program's errors). */
  stdout: string;
  error?: string;
  /** Count of resources by operation (same, create, update, replace, delete). */
  changes: Record<string, number>;
  /**
   * Every step other than `same` and `read` (the storage guard's StackReference reads the stack's own
   * outputs on every run; a read changes nothing): operation, type and logical name, and the changed keys.
   */
  steps: { op: string; type: string; name: string; diffs: string[] }[];
  /**
   * Every diagnostic the engine reported (the program's `pulumi.log.*`, the engine's and the plugins'), from
   * its events: the diff display that `stdout` holds leaves them out. Ephemeral ones are progress (a
   * rollout's "does not have minimum availability" while the provider waits), not kept in the summary.
   */
  diagnostics: { severity: string; message: string; ephemeral: boolean }[];
}

async function main(): Promise<DriverResult> {
  const [op, projectDir, stackName] = process.argv.slice(2);
  // As the nodejs language host does: a module that exports a function is the program, run for its outputs.
  const program = async () => {
    const loaded = require(path.join(projectDir, "index.js"));
    return typeof loaded === "function" ? loaded() : loaded;
  };
  const stack = await LocalWorkspace.createOrSelectStack({ stackName, projectName: "microk8s-pipeline", program }, { workDir: projectDir });
  const steps: DriverResult["steps"] = [];
  const diagnostics: DriverResult["diagnostics"] = [];
  const onEvent = (event: EngineEvent) => {
    const diagnostic = event.diagnosticEvent;
    if (diagnostic) diagnostics.push({ severity: diagnostic.severity, message: diagnostic.message.trim(), ephemeral: diagnostic.ephemeral === true });
    const meta = event.resourcePreEvent?.metadata;
    if (event.summaryEvent) recordEvent({ phase: "summary" });
    const step = meta ?? event.resOutputsEvent?.metadata;
    if (step) recordEvent({ phase: meta ? "start" : "done", op: step.op, type: step.type, name: step.urn.split("::").pop() });
    if (meta && meta.op !== "same" && meta.op !== "read" && meta.type !== "pulumi:pulumi:Stack") {
      steps.push({ op: meta.op, type: meta.type, name: meta.urn.split("::").pop() ?? meta.urn, diffs: meta.diffs ?? [] });
    }
  };
  let stdout = "";
  const onOutput = (out: string) => {
    stdout += out;
  };
  const common = { onOutput, onEvent, color: "never" as const };
  try {
    switch (op) {
      case "preview":
      case "preview-no-changes": {
        const result = await stack.preview({ ...common, diff: true, expectNoChanges: op === "preview-no-changes" });
        return { ok: true, stdout, changes: result.changeSummary as Record<string, number>, steps, diagnostics };
      }
      case "up":
      case "up-refresh": {
        const result = await stack.up({ ...common, diff: true, refresh: op === "up-refresh" });
        return { ok: true, stdout, changes: (result.summary.resourceChanges ?? {}) as Record<string, number>, steps, diagnostics };
      }
      case "destroy": {
        const result = await stack.destroy({ onOutput, onEvent, color: "never" });
        return { ok: true, stdout, changes: (result.summary.resourceChanges ?? {}) as Record<string, number>, steps, diagnostics };
      }
      default:
        throw new Error(`unknown operation ${op}`);
    }
  } catch (error) {
    return { ok: false, stdout, error: String((error as Error).message ?? error), changes: {}, steps, diagnostics };
  }
}

/** Reads change nothing: they are left out of the counts as they are of the steps. */
function withoutReads(changes: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(changes).filter(([op]) => op !== "read"));
}

/** Appends one line to E2E_EVENTS_FILE, when set, with the milliseconds since the driver started. */
function recordEvent(fields: Record<string, unknown>): void {
  const file = process.env.E2E_EVENTS_FILE;
  if (file) fs.appendFileSync(file, `${JSON.stringify({ at: Math.round(performance.now()), ...fields })}\n`);
}

function finish(result: DriverResult): never {
  recordEvent({ phase: "exit" });
  fs.writeFileSync(process.argv[5], JSON.stringify({ ...result, changes: withoutReads(result.changes) }));
  process.exit(0);
}

main().then(finish, (error) => finish({ ok: false, stdout: "", error: String(error?.stack ?? error), changes: {}, steps: [], diagnostics: [] }));
