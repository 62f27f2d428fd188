import { dateOf, digestsNeedingCreated, newestFirst, TagFacts, tagKind } from "../../prune/ordering";
import { executePlan } from "../../prune/execute";
import type { RegistryClient } from "../../prune/http";
import { neededDigests, PlanEntry, planRepository, summarize } from "../../prune/plan";

const t = (tag: string, digest = `sha256:${tag}`, created?: string): TagFacts => ({ tag, digest, created: created ? new Date(created) : undefined });
const order = (tags: TagFacts[]) => [...tags].sort(newestFirst).map((x) => x.tag);

describe("newestFirst", () => {
  test("semver order, not text order: 1.10.0 is newer than 1.9.0", () => {
    expect(order([t("1.9.0"), t("1.10.0"), t("1.2.0")])).toEqual(["1.10.0", "1.9.0", "1.2.0"]);
  });

  test("a leading v is accepted and a prerelease sorts below its release", () => {
    expect(order([t("v2.0.0-rc.1"), t("1.10.0"), t("2.0.0"), t("v2.0.0-rc.2")])).toEqual(["2.0.0", "v2.0.0-rc.2", "v2.0.0-rc.1", "1.10.0"]);
  });

  test("semver tags rank above date-shaped tags, which rank above the others", () => {
    expect(order([t("nightly", "d1", "2030-01-01"), t("2025-10-25"), t("0.0.1")])).toEqual(["0.0.1", "2025-10-25", "nightly"]);
  });

  test("date-shaped tags by the date they name, both shapes", () => {
    expect(order([t("2025-10-25"), t("20251025-143000"), t("20251026"), t("20251024-235959")])).toEqual([
      "20251026",
      "20251025-143000",
      "2025-10-25",
      "20251024-235959",
    ]);
  });

  test("other tags by the image's created time, unknown last", () => {
    expect(order([t("a", "1", "2025-01-01"), t("b"), t("c", "3", "2025-06-01")])).toEqual(["c", "a", "b"]);
  });

  test("our combined tags of one version are ordered by time, not by the sha's letters", () => {
    expect(order([t("v1.2.0-git-fffffff", "1", "2025-01-01"), t("v1.2.0-git-0000000", "2", "2025-02-01"), t("v1.1.0-git-aaaaaaa", "3", "2025-03-01")])).toEqual([
      "v1.2.0-git-0000000",
      "v1.2.0-git-fffffff",
      "v1.1.0-git-aaaaaaa",
    ]);
  });

  test("kinds, dates and when the created time is needed", () => {
    expect([tagKind("1.0.0"), tagKind("v1.0.0"), tagKind("2025-10-25"), tagKind("20251025-143000"), tagKind("latest"), tagKind("2025-13-01")]).toEqual([
      "semver",
      "semver",
      "date",
      "date",
      "other",
      "other",
    ]);
    expect(dateOf("20250230")).toBeUndefined();
  });

  test("created times are read only where two digests need them to be ordered", () => {
    const d = (tag: string, digest: string) => ({ tag, digest });
    // One "other" tag among semver and date tags: its place is fixed, nothing to read.
    expect(digestsNeedingCreated([d("1.0.0", "a"), d("latest", "b"), d("2025-10-25", "c")])).toEqual([]);
    // Two "other" tags on one digest: equal times, nothing to read either.
    expect(digestsNeedingCreated([d("latest", "b"), d("stable", "b")])).toEqual([]);
    expect(digestsNeedingCreated([d("latest", "b"), d("main", "c"), d("1.0.0", "a")]).sort()).toEqual(["b", "c"]);
    // git prereleases of one release are ordered by time; of different releases, by the release.
    expect(digestsNeedingCreated([d("v1.0.0-git-abcdef0", "x"), d("v1.0.0-git-1234567", "y"), d("v2.0.0-git-7654321", "z")]).sort()).toEqual(["x", "y"]);
    expect(digestsNeedingCreated([d("v1.0.0-git-abcdef0", "x"), d("v2.0.0-git-7654321", "z"), d("v1.0.0-rc.1", "w")])).toEqual([]);
  });
});

describe("planRepository", () => {
  const protect = { protectTags: ["latest", "stable"], protectDigests: [] as string[] };

  test("a deleted index takes its untagged platform manifests along (GC never frees untagged ones); one tagged of its own, or listed by a kept index, stays", () => {
    const old = { ...t("1.0.0", "sha256:old-index"), children: ["sha256:old-amd", "sha256:old-arm", "sha256:shared"] };
    const kept = { ...t("2.0.0", "sha256:new-index"), children: ["sha256:new-amd", "sha256:shared"] };
    const plan = planRepository("app", [old, kept, t("1.0.0-arm64", "sha256:old-arm")], { keep: 1, ...protect, tagDelete: true });
    const untagged = plan.filter((e) => e.tag === "").map((e) => [e.digest, e.action, e.why]);
    expect(untagged).toEqual([["sha256:old-amd", "delete-manifest", "untagged platform manifest of deleted index sha256:old-index, deleted with it"]]);
    expect(plan.find((e) => e.tag === "1.0.0-arm64")?.action).toBe("delete-manifest");
  });

  test("keeps the N newest and protected tags; a shared digest is never deleted (2.8: the tag goes alone, through a throwaway manifest)", () => {
    const tags = [t("1.8.0", "sha256:old"), t("latest", "sha256:old"), t("1.9.0"), t("1.10.0"), t("1.11.0"), t("1.7.0")];
    const plan = planRepository("app", tags, { keep: 2, ...protect, tagDelete: false });
    const byTag = Object.fromEntries(plan.map((e) => [e.tag, e.action]));
    expect(byTag).toEqual({ "1.11.0": "keep", "1.10.0": "keep", "1.9.0": "delete-manifest", "1.8.0": "delete-tag", "1.7.0": "delete-manifest", latest: "keep" });
    expect(plan.find((e) => e.tag === "1.8.0")?.why).toContain("tag only, through a throwaway manifest (Distribution 2.8 deletes by digest)");
    expect(summarize(plan)).toEqual({ tagsKept: 3, tagsToDelete: 3, digestsToDelete: 2, digestsKeptShared: 1, tagsKeptInUse: 0 });
  });

  test("on a registry that deletes tags alone, the shared tag is removed and its digest kept", () => {
    const plan = planRepository("app", [t("1.0.0", "sha256:x"), t("stable", "sha256:x"), t("2.0.0")], { keep: 1, ...protect, tagDelete: true });
    expect(plan.find((e) => e.tag === "1.0.0")).toMatchObject({ action: "delete-tag", why: expect.stringContaining("needed by kept tag stable") });
  });

  test("a protected digest keeps every tag on it; old tags on one digest delete it once", () => {
    const plan = planRepository("app", [t("1.0.0", "sha256:p"), t("1.1.0", "sha256:q"), t("1.1.1", "sha256:q"), t("3.0.0")], {
      keep: 1,
      protectTags: [],
      protectDigests: ["sha256:p"],
      tagDelete: false,
    });
    expect(plan.map((e) => [e.tag, e.action])).toEqual([
      ["3.0.0", "keep"],
      ["1.1.1", "delete-manifest"],
      ["1.1.0", "delete-manifest"],
      ["1.0.0", "keep"],
    ]);
    expect(summarize(plan).digestsToDelete).toBe(1);
  });

  const hex = (c: string) => c.repeat(64);
  const sig = (digestChar: string) => `sha256-${hex(digestChar)}.sig`;

  test.each([
    [false, "delete-tag"],
    [true, "delete-tag"],
  ] as const)("a kept index keeps its platform manifests even when they carry older tags (tag delete %s)", (tagDelete, childAction) => {
    const index = { ...t("3.0.0", "sha256:index"), children: ["sha256:amd", "sha256:arm"] };
    const tags = [index, t("3.0.0-amd64", "sha256:amd"), t("3.0.0-arm64", "sha256:arm"), t("2.0.0", "sha256:old")];
    const plan = planRepository("app", tags, { keep: 1, protectTags: [], protectDigests: [], tagDelete });
    expect(Object.fromEntries(plan.map((e) => [e.tag, e.action]))).toEqual({ "3.0.0": "keep", "3.0.0-amd64": childAction, "3.0.0-arm64": childAction, "2.0.0": "delete-manifest" });
    expect(plan.find((e) => e.tag === "3.0.0-amd64")?.why).toContain("kept index 3.0.0, which lists it");
    expect(neededDigests(plan)).toEqual(new Set(["sha256:index", "sha256:amd", "sha256:arm"]));
  });

  test("cosign accessories never count towards --keep, stay with a kept subject, go with a deleted one, and sit beside it", () => {
    const tags = [t("1.0.0", `sha256:${hex("1")}`), t("2.0.0", `sha256:${hex("2")}`), t(sig("2"), "sha256:sig2"), t(sig("1"), "sha256:sig1"), t(`sha256-${hex("2")}.att`, "sha256:att2")];
    const plan = planRepository("app", tags, { keep: 1, protectTags: [], protectDigests: [], tagDelete: false });
    expect(plan.map((e) => [e.tag, e.action])).toEqual([
      ["2.0.0", "keep"],
      [sig("2"), "keep"],
      [`sha256-${hex("2")}.att`, "keep"],
      ["1.0.0", "delete-manifest"],
      [sig("1"), "delete-manifest"],
    ]);
    expect(plan[4].why).toContain("deleted with it");
  });

  test("an accessory of a digest no tag names is left alone", () => {
    const plan = planRepository("app", [t("1.0.0"), t(sig("9"), "sha256:sig9")], { keep: 1, protectTags: [], protectDigests: [], tagDelete: false });
    expect(plan.find((e) => e.tag === sig("9"))).toMatchObject({ action: "keep", why: expect.stringContaining("no tag here names") });
  });
});

describe("planRepository with OCI referrers", () => {
  const hex = (c: string) => c.repeat(64);
  const [kept, old] = [`sha256:${hex("a")}`, `sha256:${hex("b")}`];
  const options = { keep: 1, protectTags: [], protectDigests: [], tagDelete: true };

  test("the referrers fallback tag (sha256-<hex>, an index of referrers) is an accessory: kept with its subject, its referrers needed", () => {
    const fallback = (d: string) => `sha256-${d.slice(7)}`;
    const tags = [t("2.0.0", kept), t("1.0.0", old), { ...t(fallback(kept), "sha256:list-a"), children: ["sha256:sbom-a"] }, { ...t(fallback(old), "sha256:list-b"), children: ["sha256:sbom-b"] }];
    const plan = planRepository("app", tags, options);
    expect(plan.map((e) => [e.tag, e.digest, e.action])).toEqual([
      ["2.0.0", kept, "keep"],
      [fallback(kept), "sha256:list-a", "keep"],
      ["1.0.0", old, "delete-manifest"],
      [fallback(old), "sha256:list-b", "delete-manifest"],
      ["", "sha256:sbom-b", "delete-manifest"],
    ]);
    expect(plan[4].why).toBe(`untagged referrer of ${old}, deleted with it`);
    expect(neededDigests(plan)).toEqual(new Set([kept, "sha256:list-a", "sha256:sbom-a"]));
  });

  test("from the referrers API: a kept digest keeps its referrers; a tagged referrer is never ranked; a deleted digest takes its untagged referrers, theirs too", () => {
    const referrers = new Map([
      [kept, ["sha256:sig-a", "sha256:sbom-a"]],
      [old, ["sha256:sig-b"]],
      ["sha256:sig-b", ["sha256:countersig-b"]],
    ]);
    // A newer-looking release tag on kept's SBOM would take the only --keep slot if it were ranked.
    const tags = [t("2.0.0", kept), t("1.0.0", old), t("9.9.9", "sha256:sbom-a")];
    const plan = planRepository("app", tags, options, referrers);
    expect(plan.map((e) => [e.tag, e.digest, e.action])).toEqual([
      ["2.0.0", kept, "keep"],
      ["9.9.9", "sha256:sbom-a", "keep"],
      ["1.0.0", old, "delete-manifest"],
      ["", "sha256:sig-b", "delete-manifest"],
      ["", "sha256:countersig-b", "delete-manifest"],
    ]);
    expect(plan[0].referrers).toEqual(["sha256:sig-a", "sha256:sbom-a"]);
    expect(plan[1].why).toBe(`accessory of ${kept}, which stays`);
    expect(neededDigests(plan)).toEqual(new Set([kept, "sha256:sig-a", "sha256:sbom-a"]));
  });

  test("a referrer still needed by a kept digest is never deleted with another subject", () => {
    const referrers = new Map([
      [kept, ["sha256:shared-sbom"]],
      [old, ["sha256:shared-sbom"]],
    ]);
    const plan = planRepository("app", [t("2.0.0", kept), t("1.0.0", old)], options, referrers);
    expect(plan.map((e) => [e.tag, e.action])).toEqual([
      ["2.0.0", "keep"],
      ["1.0.0", "delete-manifest"],
    ]);
  });
});

describe("executePlan's last check", () => {
  test.each([
    ["a platform manifest of a kept index", { tag: "3.0.0", digest: "sha256:index", children: ["sha256:amd"] }, { tag: "3.0.0-amd64", digest: "sha256:amd" }],
    ["a referrer of a kept digest", { tag: "3.0.0", digest: "sha256:image", referrers: ["sha256:sig"] }, { tag: "", digest: "sha256:sig" }],
  ])("refuses to delete %s, and sends no request for it", async (_what, kept, needed) => {
    const send = jest.fn();
    const wrong: PlanEntry[] = [
      { repo: "app", action: "keep", why: "newest", ...kept },
      { repo: "app", action: "delete-manifest", why: "a wrong plan", ...needed },
    ];
    const outcomes = await executePlan({ send } as unknown as RegistryClient, wrong, 2);
    expect(outcomes).toEqual([{ entry: wrong[1], ok: false, detail: `refused: ${needed.digest} is still needed by a kept reference` }]);
    expect(send).not.toHaveBeenCalled();
  });
});
