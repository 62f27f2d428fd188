import { createHash } from "crypto";
import { executePlan } from "../../prune/execute";
import type { Answer, RegistryClient } from "../../prune/http";
import type { PlanEntry } from "../../prune/plan";

const manifestBody = (n: number) => JSON.stringify({ schemaVersion: 2, n });
const digest = (n: number) => `sha256:${createHash("sha256").update(manifestBody(n)).digest("hex")}`;

/**
 * A registry of one repository whose tags point at `tags` (tag → digest): HEAD answers a tag's digest,
 * GET a digest's manifest, DELETE of a tag removes it and PUT of a tag sets it; a DELETE of `failDigest`
 * answers 500. Every request is recorded in order.
 */
function fakeRegistry(initial: Record<string, string>, options: { failDigest?: string } = {}) {
  const tags = { ...initial };
  const requests: string[] = [];
  const byDigest = new Map(Array.from({ length: 10 }, (_, n) => [digest(n), manifestBody(n)] as const));
  const answer = (status: number, headers: Record<string, string> = {}, body = ""): Answer => ({ status, headers: { get: (n) => headers[n.toLowerCase()] ?? null }, body });
  const send = async (method: string, path: string, _headers?: Record<string, string>, body?: Buffer): Promise<Answer> => {
    requests.push(`${method} ${path}`);
    const ref = path.split("/manifests/")[1];
    const type = { "content-type": "application/vnd.oci.image.manifest.v1+json" };
    if (method === "HEAD") return tags[ref] ? answer(200, { "docker-content-digest": tags[ref], ...type }) : answer(404);
    if (method === "GET") return byDigest.has(ref) ? answer(200, type, byDigest.get(ref)) : answer(404);
    if (method === "PUT") {
      tags[ref] = `sha256:${createHash("sha256").update(body!).digest("hex")}`;
      return answer(201);
    }
    if (ref === options.failDigest) return answer(500);
    if (!ref.startsWith("sha256:")) delete tags[ref];
    return answer(202);
  };
  const client = { send, checked: (a: Answer) => a } as unknown as RegistryClient;
  return { client, requests, tags };
}

const deleteEntry = (tag: string, d: string): PlanEntry => ({ repo: "app", tag, digest: d, action: "delete-manifest", why: "beyond keep" });

describe("executePlan on a registry that deletes tags alone (Distribution 3.x)", () => {
  const tags = { "1.0.0": digest(1), "1.1.0": digest(2), "1.1.0-alias": digest(2), "1.2.0": digest(3) };
  const plan = [deleteEntry("1.0.0", digest(1)), deleteEntry("1.1.0", digest(2)), deleteEntry("1.1.0-alias", digest(2)), { repo: "app", tag: "1.2.0", digest: digest(3), action: "keep", why: "newest" } as PlanEntry];

  test("removes every planned tag before the first digest, so a digest delete reads only the tags kept", async () => {
    const { client, requests } = fakeRegistry(tags);
    const outcomes = await executePlan(client, plan, 4, { tagDelete: true });
    expect(outcomes.every((o) => o.ok && o.detail === "deleted")).toBe(true);
    const deletes = requests.filter((r) => r.startsWith("DELETE"));
    const firstDigest = deletes.findIndex((r) => r.includes("sha256:"));
    expect(deletes.slice(0, firstDigest).sort()).toEqual(["DELETE /v2/app/manifests/1.0.0", "DELETE /v2/app/manifests/1.1.0", "DELETE /v2/app/manifests/1.1.0-alias"]);
    expect(deletes.slice(firstDigest).sort()).toEqual([`DELETE /v2/app/manifests/${digest(1)}`, `DELETE /v2/app/manifests/${digest(2)}`].sort());
    expect(requests.some((r) => r.includes("1.2.0") && r.startsWith("DELETE"))).toBe(false);
  });

  test("a tag that moved since the plan: its digest's tags stay, and nothing of that digest is deleted", async () => {
    const { client, requests } = fakeRegistry({ ...tags, "1.1.0-alias": digest(9) });
    const outcomes = await executePlan(client, plan, 4, { tagDelete: true });
    expect(outcomes.filter((o) => o.entry.digest === digest(2)).every((o) => o.skipped)).toBe(true);
    expect(requests.filter((r) => r.startsWith("DELETE") && (r.includes("1.1.0") || r.includes(digest(2))))).toEqual([]);
  });

  test("a digest whose delete fails after its tags went gets them back, so a re-run retries it", async () => {
    const { client, tags: after } = fakeRegistry(tags, { failDigest: digest(1) });
    const outcomes = await executePlan(client, plan, 4, { tagDelete: true });
    const failed = outcomes.find((o) => o.entry.tag === "1.0.0")!;
    expect(failed).toMatchObject({ ok: false, detail: "HTTP 500 ; its tags were put back, so a re-run retries it" });
    expect(after["1.0.0"]).toBe(digest(1));
    expect(after["1.1.0"]).toBeUndefined();
    expect(outcomes.filter((o) => o.entry.digest === digest(2)).every((o) => o.ok)).toBe(true);
  });

  test("a failed digest delete whose tags cannot be put back says it stays untagged, and what to do", async () => {
    const { client } = fakeRegistry(tags, { failDigest: digest(7) });
    const fake = client as unknown as { send: (method: string, path: string) => Promise<Answer> };
    const send = fake.send;
    fake.send = async (method, path) => (method === "GET" ? { status: 503, headers: { get: () => null }, body: "" } : send(method, path));
    const [outcome] = await executePlan(client, [deleteEntry("7.0.0", digest(7))], 1, { tagDelete: true });
    expect(outcome.detail).toBe(`HTTP 500 ; its tags could not be put back (reading the manifest: HTTP 503), so it stays untagged: delete app@${digest(7)} again, or run garbage-collect with --delete-untagged`);
  });

  test("on 2.8 (no tag delete) each digest is deleted as before, its tags with it, and no tag alone", async () => {
    const { client, requests } = fakeRegistry(tags);
    await executePlan(client, plan, 4, { tagDelete: false });
    expect(requests.filter((r) => r.startsWith("DELETE")).sort()).toEqual([`DELETE /v2/app/manifests/${digest(1)}`, `DELETE /v2/app/manifests/${digest(2)}`].sort());
  });
});

describe("mapLimit", () => {
  const { mapLimit } = jest.requireActual("../../prune/http") as typeof import("../../prune/http");
  const tick = () => new Promise((r) => setImmediate(r));

  test("keeps the input order with at most `limit` tasks running", async () => {
    let running = 0;
    let most = 0;
    const results = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      most = Math.max(most, running);
      for (let i = 0; i < n; i++) await tick();
      running--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  test("throws the first failure and starts no item after it", async () => {
    const started: number[] = [];
    const run = mapLimit([1, 2, 3, 4, 5, 6], 2, async (n) => {
      started.push(n);
      await tick();
      if (n === 1) throw new Error("item 1 failed");
      return n;
    });
    await expect(run).rejects.toThrow("item 1 failed");
    await tick();
    await tick();
    expect(started).toEqual([1, 2]);
  });
});

describe("pruneNodeOptions (the retention container's heap)", () => {
  const { pruneNodeOptions } = jest.requireActual("../../lib/retentionArgs") as typeof import("../../lib/retentionArgs");
  test.each([
    ["384Mi", "--max-old-space-size=192"],
    ["1Gi", "--max-old-space-size=512"],
    ["500M", "--max-old-space-size=238"],
    ["64Mi", "--max-old-space-size=64"],
  ])("a %s limit gives %s", (limit, option) => expect(pruneNodeOptions(limit)).toBe(option));

  test("refuses a limit that is not a quantity", () => expect(() => pruneNodeOptions("lots")).toThrow('"lots" is not a quantity'));
});
