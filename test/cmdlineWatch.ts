/**
 * Records the command line of every process on the machine while something runs, by polling
 * `/proc/<pid>/cmdline` (what `ps` shows any user), so a test can check that no credential is on one.
 */
import * as fs from "fs";

export interface CmdlineWatch {
  /** Stops polling; resolves to every distinct command line seen (arguments joined by spaces). */
  stop(): Promise<string[]>;
}

function readAll(into: Set<string>) {
  for (const pid of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const line = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
      if (line) into.add(line);
    } catch {
      // the process ended between readdir and read
    }
  }
}

export function watchCmdlines(intervalMs = 5): CmdlineWatch {
  const seen = new Set<string>();
  const timer = setInterval(() => readAll(seen), intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      readAll(seen);
      return [...seen];
    },
  };
}

/** The command lines among `lines` that carry any of `secrets`. */
export function carrying(lines: string[], secrets: string[]): string[] {
  if (secrets.some((s) => typeof s !== "string" || s.length < 4)) throw new Error("carrying: each secret must be a string of 4 characters or more");
  return lines.filter((l) => secrets.some((s) => l.includes(s)));
}
