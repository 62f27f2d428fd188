/**
 * Prints, under the real Pulumi engine and control plane (the e2e environment), for the dev stack, the
 * prod stack and a prod stack with APPS apps (default 20): preview, first `up`, no-op `up` and an `up`
 * after an app code change, with the builds each did. Then the same code change done by hand as the
 * chapter's build-and-deploy.sh does it, against the dev stack's cluster and registry, and the engine's
 * floor (a no-op `up` of a one-resource program). Each figure but the first `up` is the median of RUNS
 * (default 3); a first `up` needs a new stack. DEV_ONLY=1 stops after the dev stack; TIMELINE_DIR keeps
 * the code-change ups' step events there. Not a test: figures. Targets: the APPS-app no-op `up` within
 * 3x the 1-app one with 0 builds; the dev code-change `up` within 1.5x the hand-run workflow.
 * Needs scripts/test-env/setup.sh and `npm run build`; real plugins from PULUMI_E2E_PLUGIN_DIR if set.
 */
import * as fs from "fs";
import * as path from "path";
import type { DriverResult } from "../test/e2e/driver";
import { E2eEnvironment, succeeded } from "../test/e2e/harness";
import { destroyEngineFloor, engineFloorUp, prepareEngineFloor } from "./engineFloor";
import { handRun, prepareHandRun, removeHandRun } from "./handRun";
import { UpBreakdown, upBreakdown } from "./stepTimes";
import { median, secondsWithRuns, timedSeconds } from "./timing";

const APPS = Number(process.env.APPS ?? 20);
const RUNS = Number(process.env.RUNS ?? 3);
const SLOWEST_STEPS = 5;
/** DEV_ONLY=1: the dev stack, the hand-run and the floor only (the figures the 1.5x target is about). */
const DEV_ONLY = process.env.DEV_ONLY === "1";

interface Row {
  stack: string;
  preview: number[];
  firstUp: number;
  noopUp: number[];
  noopBuilds: number[];
  codeChangeUp: number[];
  codeChangeBuilds: number[];
  /** Where the median code-change `up` spent its time. */
  codeChangeBreakdown?: UpBreakdown;
}

const builds = (result: DriverResult) => result.steps.filter((s) => s.type === "docker:index/image:Image").length;

async function timedOp(env: E2eEnvironment, op: "preview" | "up", stack: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ seconds: number; result: DriverResult }> {
  const { seconds, value } = await timedSeconds(async () => succeeded(await env.op(op, stack, extraEnv)));
  return { seconds, result: value };
}

let changes = 0;
/** A one-line change to the sample app's code, committed (the tag names the commit). */
async function codeChange(env: E2eEnvironment): Promise<string> {
  changes += 1;
  fs.appendFileSync(path.join(env.projectDir, "app", "src", "server.js"), `// bench: code change ${changes}\n`);
  await env.commit(`bench: code change ${changes}`);
  return `1.0.0-bench${changes}`;
}

/**
 * Measures `stack`; `alongside` runs after each code-change `up` (the hand-run workflow, interleaved so
 * that both see the same noise). The stack is left up.
 */
async function measure(env: E2eEnvironment, stack: string, alongside?: () => Promise<void>): Promise<Row> {
  const preview: number[] = [];
  for (let i = 0; i < RUNS; i++) preview.push((await timedOp(env, "preview", stack)).seconds);
  const first = await timedOp(env, "up", stack);
  const noop: { seconds: number; result: DriverResult }[] = [];
  for (let i = 0; i < RUNS; i++) noop.push(await timedOp(env, "up", stack));
  const change: { seconds: number; result: DriverResult; breakdown: UpBreakdown }[] = [];
  for (let i = 0; i < RUNS; i++) {
    await codeChange(env);
    const events = path.join(env.root, `events-${stack}-${i}.jsonl`);
    const timed = await timedOp(env, "up", stack, { E2E_EVENTS_FILE: events });
    change.push({ ...timed, breakdown: upBreakdown(events, SLOWEST_STEPS) });
    if (process.env.TIMELINE_DIR) fs.copyFileSync(events, path.join(process.env.TIMELINE_DIR, path.basename(events)));
    await alongside?.();
  }
  const medianChange = change.find((c) => c.seconds === median(change.map((c) => c.seconds)));
  return {
    stack,
    preview,
    firstUp: first.seconds,
    noopUp: noop.map((n) => n.seconds),
    noopBuilds: noop.map((n) => builds(n.result)),
    codeChangeUp: change.map((c) => c.seconds),
    codeChangeBuilds: change.map((c) => builds(c.result)),
    codeChangeBreakdown: medianChange?.breakdown,
  };
}

function printTable(header: string[], lines: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  for (const line of [header, ...lines]) console.log(line.map((c, i) => c.padEnd(widths[i])).join("  "));
}

function printRows(rows: Row[]): void {
  const header = ["stack", "preview", "first up", "no-op up", "builds", "code-change up", "builds"];
  printTable(header, rows.map((r) => [r.stack, secondsWithRuns(r.preview), `${r.firstUp.toFixed(1)} s`, secondsWithRuns(r.noopUp), r.noopBuilds.join(" "), secondsWithRuns(r.codeChangeUp), r.codeChangeBuilds.join(" ")]));
  for (const r of rows) {
    const b = r.codeChangeBreakdown;
    if (!b) continue;
    console.log(
      `${r.stack}'s median code-change up: ${b.untilFirstStep.toFixed(1)} s until the first step (CLI, engine, plugins, program start), ` +
        `${b.afterLastStep.toFixed(1)} s from the last to the engine's summary, ${b.afterSummary.toFixed(1)} s from there to the driver's exit (the Automation API reads outputs and history); ` +
        `slowest steps: ${b.longest.map((s) => `${s.step} ${s.seconds.toFixed(2)} s`).join(", ")}`,
    );
  }
}

function printComparison(dev: Row, handRuns: number[], floor: number[], floorStart: number): void {
  console.log(`hand-run build-and-deploy.sh (docker build, tag, push x2, kubectl apply, rollout status): ${secondsWithRuns(handRuns)}`);
  console.log(`dev code-change up against the hand-run workflow: ${(median(dev.codeChangeUp) / median(handRuns)).toFixed(2)}x (target <= 1.5x)`);
  console.log(`engine floor, no-op up of a one-resource program: ${secondsWithRuns(floor)}, ${floorStart.toFixed(1)} s of it until its first step`);
  const b = dev.codeChangeBreakdown;
  if (b) {
    const toSummary = median(dev.codeChangeUp) - b.afterSummary;
    console.log(`dev code-change up until the engine's summary (as pulumi up at a terminal ends): ${toSummary.toFixed(1)} s, ${(toSummary / median(handRuns)).toFixed(2)}x the hand-run`);
  }
}

/** The prod stack file with APPS copies of its app. */
function addManyAppsStack(env: E2eEnvironment, name: string): void {
  env.addStack(name, "prod", (config) => {
    const [web] = config["microk8s-pipeline:apps"];
    config["microk8s-pipeline:apps"] = Array.from({ length: APPS }, (_, i) => ({ ...web, name: `web${String(i).padStart(2, "0")}`, replicas: 1 }));
  });
}

async function main(): Promise<void> {
  const env = await E2eEnvironment.start();
  try {
    await env.createBucket("container-registry");
    addManyAppsStack(env, `prod${APPS}`);
    // Its destroy then removes the addon, whose NodePort the prod stacks' registry takes next.
    env.editStackFile("dev", (config) => {
      config["microk8s-pipeline:registry"].disableOnDestroy = true;
    });
    await env.commit("bench: the dev stack's destroy disables the addon");
    console.log(`plugins: ${Object.entries(env.plugins).map(([n, k]) => `${n} ${k}`).join(", ")}; median of ${RUNS} runs, the runs in brackets`);

    const floorDir = await prepareEngineFloor(env);
    const floor: number[] = [];
    const floorSteps: UpBreakdown[] = [];
    for (let i = 0; i < RUNS; i++) {
      const events = path.join(env.root, `events-floor-${i}.jsonl`);
      floor.push((await timedSeconds(() => engineFloorUp(env, floorDir, events))).seconds);
      floorSteps.push(upBreakdown(events, 1));
    }
    const floorStart = median(floorSteps.map((b) => b.untilFirstStep));
    await destroyEngineFloor(env, floorDir);

    const handRuns: number[] = [];
    const dev = await measure(env, "dev", async () => {
      if (handRuns.length === 0) await prepareHandRun(env);
      const version = await codeChange(env);
      handRuns.push((await timedSeconds(() => handRun(env, version))).seconds);
    });
    printRows([dev]);
    printComparison(dev, handRuns, floor, floorStart);
    await removeHandRun(env);
    succeeded(await env.op("destroy", "dev"));
    if (DEV_ONLY) return;
    const rows = [dev];
    for (const stack of ["prod", `prod${APPS}`]) {
      rows.push(await measure(env, stack));
      succeeded(await env.op("destroy", stack));
    }
    console.log("");

    printRows(rows);
    const [, one, many] = rows;
    console.log(`no-op up, ${APPS} apps against 1: ${(median(many.noopUp) / median(one.noopUp)).toFixed(2)}x (target <= 3x), builds in the no-op ups: ${rows.flatMap((r) => r.noopBuilds).join(" ")} (target 0)`);
    printComparison(dev, handRuns, floor, floorStart);
  } finally {
    await env.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
