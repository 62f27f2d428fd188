/**
 * The engine's floor: a program of one resource (a ConfigMap, through the same kubernetes plugin) under the
 * same engine, backend and driver as the pipeline. Its no-op `up` is the least any `up` here can cost.
 */
import * as fs from "fs";
import * as path from "path";
import { E2eEnvironment, succeeded } from "../test/e2e/harness";

const STACK = "floor";
const PROGRAM = `"use strict";
const k8s = require("@pulumi/kubernetes");
new k8s.core.v1.ConfigMap("floor", { metadata: { name: "bench-floor", namespace: "default" }, data: { purpose: "engine floor" } });
`;

/** Writes the one-resource program beside the project and makes its stack (the first `up`). */
export async function prepareEngineFloor(env: E2eEnvironment): Promise<string> {
  const dir = path.join(env.root, "floor");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "index.js"), PROGRAM);
  fs.symlinkSync(path.join(env.projectDir, "node_modules"), path.join(dir, "node_modules"));
  succeeded(await env.opIn(dir, "up", STACK));
  return dir;
}

/** One no-op `up` of the floor program, its steps written to `eventsFile`; throws if it changed anything. */
export async function engineFloorUp(env: E2eEnvironment, dir: string, eventsFile: string): Promise<void> {
  const result = succeeded(await env.opIn(dir, "up", STACK, { E2E_EVENTS_FILE: eventsFile }));
  if (result.steps.length > 0) throw new Error(`the floor's no-op up changed ${result.steps.map((s) => `${s.op} ${s.name}`).join(", ")}`);
}

export async function destroyEngineFloor(env: E2eEnvironment, dir: string): Promise<void> {
  succeeded(await env.opIn(dir, "destroy", STACK));
}
