/** Runs the built registry-prune CLI in a process of its own, as a person or a CronJob would. */
import { spawn } from "child_process";
import * as path from "path";
import { ROOT } from "../harness";

export const CLI = path.join(ROOT, "dist", "prune", "cli.js");

export function prune(args: string[], options: { env?: Record<string, string>; input?: string } = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...(options.env ?? {}) } });
    let [stdout, stderr] = ["", ""];
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.stdin.end(options.input ?? "");
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
