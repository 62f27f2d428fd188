import type { Outcome } from "./execute";
import { PlanEntry, summarize } from "./plan";

const shortDigest = (d: string) => d.replace(/^sha256:/, "").slice(0, 12);

const ACTION_LABEL: Record<PlanEntry["action"], string> = {
  keep: "keep",
  "delete-manifest": "DELETE",
  "delete-tag": "DELETE tag only",
};

const TABLE_HEAD = ["REPOSITORY", "TAG", "DIGEST", "ACTION", "WHY"];
const cellsOf = (e: PlanEntry) => [e.repo, e.tag || "(untagged)", shortDigest(e.digest), ACTION_LABEL[e.action], e.why];

/**
 * The plan as a table (repository, tag, digest, what happens and why): left-aligned columns two spaces
 * apart, the last one unpadded (like `docker ps`). Yielded `rowsPerChunk` lines at a time, so a plan of
 * 100,000 tags is never held as one string.
 */
export function* planTableChunks(entries: PlanEntry[], rowsPerChunk = 1000): Generator<string> {
  const widths = TABLE_HEAD.map((h) => h.length);
  for (const e of entries) cellsOf(e).forEach((cell, i) => (widths[i] = Math.max(widths[i], cell.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ");
  yield line(TABLE_HEAD);
  for (let start = 0; start < entries.length; start += rowsPerChunk) {
    yield entries.slice(start, start + rowsPerChunk).map((e) => line(cellsOf(e))).join("\n");
  }
}

export interface RunReport {
  registry: string;
  dryRun: boolean;
  tagDelete: boolean;
  plan: PlanEntry[];
  outcomes: Outcome[];
  /** In-use protection ran: the summary says how many tags it kept. */
  inUse?: boolean;
  /** With --count-bytes: what the next garbage collection frees (about), when every deletion went through. */
  bytesFreedAfterGc?: number;
}

/** Counts of what was (or, in a dry run, would be) done. */
export function summary(report: RunReport) {
  const planned = summarize(report.plan);
  const failed = report.outcomes.filter((o) => !o.ok);
  if (report.dryRun) return { ...planned, tagsDeleted: 0, digestsDeleted: 0, failures: 0, skipped: 0 };
  const done = report.outcomes.filter((o) => o.ok && !o.skipped);
  return {
    ...planned,
    tagsDeleted: done.filter((o) => o.entry.tag !== "").length,
    digestsDeleted: new Set(done.filter((o) => o.entry.action === "delete-manifest").map((o) => `${o.entry.repo}@${o.entry.digest}`)).size,
    failures: failed.length,
    skipped: report.outcomes.filter((o) => o.skipped).length,
    ...(report.bytesFreedAfterGc !== undefined ? { bytesFreedAfterGc: report.bytesFreedAfterGc } : {}),
  };
}

/** Starts the one summary line of a run that deletes, so a CronJob's logs can be grepped for it. */
export const SUMMARY_PREFIX = "registry-prune summary:";

export function summaryText(report: RunReport): string {
  const s = summary(report);
  const inUse = report.inUse ? ` Kept because the cluster uses them: ${s.tagsKeptInUse} tag(s).` : "";
  const bytes = report.bytesFreedAfterGc !== undefined ? ` The next garbage collection would free about ${report.bytesFreedAfterGc} bytes.` : "";
  const lines = report.dryRun
    ? [
        `dry run: nothing deleted. Would delete ${s.tagsToDelete} tag(s) and ${s.digestsToDelete} digest(s); ${s.digestsKeptShared} digest(s) kept because shared with a kept tag.${inUse}${bytes}`,
        "A dry run sends only GET and HEAD: whether the registry allows deletes, and deletes a tag alone (Distribution 3.x), is checked at --yes.",
        "Run again with --yes to delete.",
      ]
    : [`${SUMMARY_PREFIX} tags kept: ${s.tagsKept}, tags deleted: ${s.tagsDeleted}, digests deleted: ${s.digestsDeleted}, digests kept because shared: ${s.digestsKeptShared}, failures: ${s.failures}, skipped: ${s.skipped}${report.inUse ? `, kept in use: ${s.tagsKeptInUse}` : ""}${report.bytesFreedAfterGc !== undefined ? `, bytes freed after GC: ${report.bytesFreedAfterGc}` : ""}`];
  for (const o of report.outcomes.filter((x) => x.skipped)) lines.push(`SKIPPED ${o.entry.repo}:${o.entry.tag} (${o.entry.digest}): ${o.detail}`);
  for (const o of report.outcomes.filter((x) => !x.ok)) lines.push(`FAILED ${o.entry.repo}${o.entry.tag ? `:${o.entry.tag}` : ""} (${o.entry.digest}): ${o.detail}`);
  return lines.join("\n");
}

export function jsonReport(report: RunReport): string {
  return JSON.stringify(
    {
      registry: report.registry,
      dryRun: report.dryRun,
      tagDelete: report.tagDelete,
      plan: report.plan,
      outcomes: report.outcomes.map((o) => ({ repo: o.entry.repo, tag: o.entry.tag, digest: o.entry.digest, ok: o.ok, ...(o.skipped ? { skipped: true } : {}), detail: o.detail })),
      summary: summary(report),
    },
    null,
    2,
  );
}
