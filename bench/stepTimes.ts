/** Where an `up` spent its time, from the driver's E2E_EVENTS_FILE: each step's start and end. */
import * as fs from "fs";

interface StepEvent {
  at: number;
  phase: "start" | "done";
  op: string;
  name: string;
}

export interface StepTime {
  step: string;
  seconds: number;
}

/** The `count` longest steps of the events in `file` (steps that never ended are left out). */
export function longestSteps(file: string, count: number): StepTime[] {
  const events = fs.readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line) as StepEvent);
  const started = new Map<string, number>();
  const times: StepTime[] = [];
  for (const event of events) {
    const key = `${event.op} ${event.name}`;
    if (event.phase === "start") started.set(key, event.at);
    else if (started.has(key)) times.push({ step: key, seconds: (event.at - (started.get(key) ?? event.at)) / 1000 });
  }
  return times.sort((a, b) => b.seconds - a.seconds).slice(0, count);
}
