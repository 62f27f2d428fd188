/** Timing helpers the benches share: these machines are noisy, so each figure is a median of runs. */

/** The middle value (the lower middle for an even count). */
export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

/** Seconds `task` took, and what it returned. */
export async function timedSeconds<T>(task: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await task();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, value };
}

/** `runs` medians as "12.3 s (12.1 12.3 14.0)". */
export const secondsWithRuns = (runs: number[]): string => `${median(runs).toFixed(1)} s (${runs.map((r) => r.toFixed(1)).join(" ")})`;
