/** Where an `up` spent its time, from the driver's E2E_EVENTS_FILE: each step's start and end, and its exit. */
import * as fs from "fs";

interface StepEvent {
  at: number;
  phase: "start" | "done" | "summary" | "exit";
  op?: string;
  type?: string;
  name?: string;
}

export interface StepTime {
  step: string;
  seconds: number;
}

export interface UpBreakdown {
  /** From the driver's start to the engine's first step: the CLI, the engine, the plugins and the program's start. */
  untilFirstStep: number;
  /** From the last step's end to the engine's summary: its wrap-up (the state written). */
  afterLastStep: number;
  /**
   * From the engine's summary to the driver's exit: the CLI's exit, then the Automation API's own reads of
   * the outputs and the update's history (two more CLI runs), which `pulumi up` at a terminal does not do.
   */
  afterSummary: number;
  /** The longest resource steps (the stack and components, which span their children, left out). */
  longest: StepTime[];
}

/** Steps that only span others: the stack itself and this program's components (a provider's start is its own). */
const spansOthers = (type = "") => type === "pulumi:pulumi:Stack" || type.startsWith("microk8s-pipeline:");

export function upBreakdown(file: string, count: number): UpBreakdown {
  const events = fs.readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line) as StepEvent);
  const steps = events.filter((e) => e.phase === "start" || e.phase === "done");
  const exit = events.find((e) => e.phase === "exit");
  const summary = events.find((e) => e.phase === "summary");
  const started = new Map<string, number>();
  const times: StepTime[] = [];
  for (const event of steps.filter((e) => !spansOthers(e.type))) {
    const key = `${event.op} ${event.type?.split(":").pop()} ${event.name}`;
    if (event.phase === "start") started.set(key, event.at);
    else if (started.has(key)) times.push({ step: key, seconds: (event.at - (started.get(key) ?? event.at)) / 1000 });
  }
  const first = steps[0]?.at ?? 0;
  const last = steps.length ? Math.max(...steps.map((e) => e.at)) : first;
  return {
    untilFirstStep: first / 1000,
    afterLastStep: (((summary ?? exit)?.at ?? last) - last) / 1000,
    afterSummary: summary && exit ? (exit.at - summary.at) / 1000 : 0,
    longest: times.sort((a, b) => b.seconds - a.seconds).slice(0, count),
  };
}
