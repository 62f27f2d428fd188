/**
 * One maintenance job at a time per registry, in the order the cluster created them. A registry's garbage
 * collection (its read-only window) and its retention (deletes, which a read-only registry refuses) must
 * never overlap, and neither may take a right of the other. So each waits, before it changes anything,
 * until every unfinished Job carrying the same MAINTAINS_LABEL value that was created before it has
 * finished: a total order (creation time, then name), so two jobs started together never wait for each
 * other. The GC window does the same in shell (lib/gcScript.ts); this is the retention side. Pure.
 */

/** On the Jobs of a registry's maintenance CronJobs (their jobTemplate): the registry Deployment's name. */
export const MAINTAINS_LABEL = "microk8s-pipeline/maintains";

/** The fields read here, as the Kubernetes API lists Jobs. */
export interface JobObject {
  metadata?: { name?: string; creationTimestamp?: string | Date; labels?: Record<string, string> };
  status?: { conditions?: { type?: string; status?: string }[] };
}

/** A Job is finished once it has a true Complete or Failed condition. */
export function finished(job: JobObject): boolean {
  return (job.status?.conditions ?? []).some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
}

/** RFC 3339 in UTC, as the API server writes creationTimestamp (the client library may give a Date). */
const created = (job: JobObject) => {
  const at = job.metadata?.creationTimestamp;
  return at instanceof Date ? at.toISOString().replace(/\.\d{3}Z$/, "Z") : (at ?? "");
};

/** `a` was created before `b`: by creation time, then by name. */
export function createdBefore(a: JobObject, b: JobObject): boolean {
  const [ca, cb] = [created(a), created(b)];
  return ca !== cb ? ca < cb : (a.metadata?.name ?? "") < (b.metadata?.name ?? "");
}

/** The names of the unfinished jobs among `jobs` that go before `me`. */
export function jobsAhead(jobs: JobObject[], me: JobObject): string[] {
  return jobs
    .filter((job) => job.metadata?.name !== me.metadata?.name && !finished(job) && createdBefore(job, me))
    .map((job) => job.metadata?.name ?? "");
}
