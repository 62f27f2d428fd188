import Table from "cli-table3";
import type { Outcome } from "./execute";
import { PlanEntry, summarize } from "./plan";

const shortDigest = (d: string) => d.replace(/^sha256:/, "").slice(0, 12);

const ACTION_LABEL: Record<PlanEntry["action"], string> = {
  keep: "keep",
  "delete-manifest": "DELETE",
  "delete-tag": "DELETE tag only",
  "keep-shared": "keep (shared)",
};

/** The plan as a table: repository, tag, digest, what happens and why. */
export function planTable(entries: PlanEntry[]): string {
  const table = new Table({ head: ["REPOSITORY", "TAG", "DIGEST", "ACTION", "WHY"], style: { head: [], border: [] } });
  for (const e of entries) table.push([e.repo, e.tag, shortDigest(e.digest), ACTION_LABEL[e.action], e.why]);
  return table.toString();
}

export interface RunReport {
  registry: string;
  dryRun: boolean;
  tagDelete: boolean;
  plan: PlanEntry[];
  outcomes: Outcome[];
}

/** Counts of what was (or, in a dry run, would be) done. */
export function summary(report: RunReport) {
  const planned = summarize(report.plan);
  const failed = report.outcomes.filter((o) => !o.ok);
  if (report.dryRun) return { ...planned, tagsDeleted: 0, digestsDeleted: 0, failures: 0 };
  const done = report.outcomes.filter((o) => o.ok);
  return {
    ...planned,
    tagsDeleted: done.length,
    digestsDeleted: new Set(done.filter((o) => o.entry.action === "delete-manifest").map((o) => `${o.entry.repo}@${o.entry.digest}`)).size,
    failures: failed.length,
  };
}

export function summaryText(report: RunReport): string {
  const s = summary(report);
  const lines = report.dryRun
    ? [`dry run: nothing deleted. Would delete ${s.tagsToDelete} tag(s) and ${s.digestsToDelete} digest(s); ${s.digestsKeptShared} digest(s) kept because shared with a kept tag.`, "Run again with --yes to delete."]
    : [`tags deleted: ${s.tagsDeleted}, digests deleted: ${s.digestsDeleted}, digests kept because shared: ${s.digestsKeptShared}, failures: ${s.failures}`];
  for (const o of report.outcomes.filter((x) => !x.ok)) lines.push(`FAILED ${o.entry.repo}:${o.entry.tag} (${o.entry.digest}): ${o.detail}`);
  return lines.join("\n");
}

export function jsonReport(report: RunReport): string {
  return JSON.stringify(
    {
      registry: report.registry,
      dryRun: report.dryRun,
      tagDelete: report.tagDelete,
      plan: report.plan,
      outcomes: report.outcomes.map((o) => ({ repo: o.entry.repo, tag: o.entry.tag, digest: o.entry.digest, ok: o.ok, detail: o.detail })),
      summary: summary(report),
    },
    null,
    2,
  );
}
