/** In-use protection's pure parts: which references are this registry's, who uses them, and what the plan keeps for them. */
import { digestsInUse, imageUses, parseReference, WorkloadKind, WorkloadObject } from "../../prune/inUse";
import { planRepository } from "../../prune/plan";
import type { TagFacts } from "../../prune/ordering";

const d = (c: string) => `sha256:${c.repeat(64)}`;
const HOST = "localhost:32000";
const pod = (image: string) => ({ template: { spec: { containers: [{ name: "c", image }] } } });
const obj = (namespace: string, name: string, spec: any, extra: Partial<WorkloadObject> = {}): WorkloadObject => ({ metadata: { namespace, name, ...(extra.metadata ?? {}) }, spec, status: extra.status });

describe("parseReference", () => {
  test.each([
    ["localhost:32000/production/web:v1", { host: "localhost:32000", repo: "production/web", tag: "v1", digest: undefined }],
    [`localhost:32000/production/web@${d("a")}`, { host: "localhost:32000", repo: "production/web", tag: undefined, digest: d("a") }],
    [`docker-pullable://LOCALHOST:32000/web:v2@${d("b")}`, { host: "localhost:32000", repo: "web", tag: "v2", digest: d("b") }],
    ["localhost:32000/web", { host: "localhost:32000", repo: "web", tag: undefined, digest: undefined }],
  ])("%s", (reference, parsed) => expect(parseReference(reference)).toEqual(parsed));

  test("a reference without a host, or outside the grammar, is not one of ours", () => {
    expect(parseReference("nginx")).toBeUndefined();
    expect(parseReference("localhost:32000/Web:v1")).toBeUndefined();
  });
});

describe("imageUses", () => {
  const objects: { kind: WorkloadKind; object: WorkloadObject }[] = [
    { kind: "Deployment", object: obj("production", "web", pod(`${HOST}/production/web@${d("2")}`)) },
    {
      kind: "ReplicaSet",
      object: obj("production", "web-7d9f", pod(`${HOST}/production/web@${d("1")}`), {
        metadata: { annotations: { "deployment.kubernetes.io/revision": "3" }, ownerReferences: [{ kind: "Deployment", name: "web" }] },
      }),
    },
    { kind: "CronJob", object: obj("batch", "nightly", { jobTemplate: { spec: { template: { spec: { initContainers: [{ image: "registry-managed.container-registry.svc:5000/batch/report:1.0" }], containers: [{ image: "nginx:1.27" }] } } } } }) },
    { kind: "Pod", object: obj("production", "web-7d9f-x", { containers: [{ image: `${HOST}/production/web:v2` }] }, { status: { containerStatuses: [{ imageID: `docker-pullable://${HOST}/production/web@${d("3")}` }] } }) },
    { kind: "StatefulSet", object: obj("data", "db", pod("other.example.invalid/db:1")) },
  ];

  test("credits a Deployment's old ReplicaSet to the Deployment with its revision, reads init containers and a Pod's running digest, and only this registry's hosts", () => {
    expect(imageUses(objects, [HOST, "registry-managed.container-registry.svc:5000"])).toEqual([
      { repo: "production/web", digest: d("2"), tag: undefined, user: "production/deployment/web" },
      { repo: "production/web", digest: d("1"), tag: undefined, user: "production/deployment/web (ReplicaSet web-7d9f, revision 3)" },
      { repo: "batch/report", tag: "1.0", digest: undefined, user: "batch/cronjob/nightly" },
      { repo: "production/web", tag: "v2", digest: undefined, user: "production/pod/web-7d9f-x" },
      { repo: "production/web", digest: d("3"), tag: undefined, user: "production/pod/web-7d9f-x" },
    ]);
    expect(imageUses(objects, [HOST]).map((u) => u.repo)).not.toContain("batch/report");
  });

  test("a tag reference counts through the tag's digest; a tag the registry no longer has protects nothing; the first user is named", () => {
    const uses = [
      { repo: "web", tag: "v1", user: "ns/cronjob/a" },
      { repo: "web", digest: d("9"), user: "ns/pod/b" },
      { repo: "web", tag: "gone", user: "ns/job/c" },
      { repo: "web", tag: "v1", user: "ns/pod/d" },
      { repo: "api", digest: d("8"), user: "ns/pod/e" },
    ];
    const tags: TagFacts[] = [{ tag: "v1", digest: d("1"), created: new Date("2025-01-01") } as TagFacts];
    expect([...digestsInUse("web", uses, tags)]).toEqual([
      [d("1"), "ns/cronjob/a"],
      [d("9"), "ns/pod/b"],
    ]);
  });
});

describe("planRepository with digests in use", () => {
  const tag = (name: string, digest: string, day: number, children?: string[]): TagFacts => ({ tag: name, digest, created: new Date(2025, 0, day), ...(children ? { children } : {}) }) as TagFacts;
  const options = { keep: 1, protectTags: [], protectDigests: [], tagDelete: false };

  test("an old tag on a digest in use is kept, saying by whom; the other old ones go", () => {
    const tags = [tag("v1", d("1"), 1), tag("v2", d("2"), 2), tag("v3", d("3"), 3)];
    const plan = planRepository("production/web", tags, { ...options, inUse: new Map([[d("1"), "production/deployment/web (ReplicaSet web-7d9f, revision 1)"]]) });
    expect(plan.map((e) => [e.tag, e.action, e.why])).toEqual([
      ["v3", "keep", "newest 1 of 1"],
      ["v2", "delete-manifest", "older than the 1 newest (rank 2)"],
      ["v1", "keep", "in use by production/deployment/web (ReplicaSet web-7d9f, revision 1)"],
    ]);
    // Without the cluster's word, the same plan deletes it: the protection is what keeps it.
    expect(planRepository("production/web", tags, options).find((e) => e.tag === "v1")?.action).toBe("delete-manifest");
  });

  test("a platform manifest in use keeps its tag only as a shared digest, and the index that lists it is not needed by it", () => {
    const tags = [tag("multi", d("m"), 1, [d("a"), d("b")]), tag("v9", d("9"), 5), tag("amd64", d("a"), 2)];
    const plan = planRepository("web", tags, { ...options, inUse: new Map([[d("a"), "ns/pod/p"]]) });
    expect(plan.find((e) => e.tag === "amd64")).toMatchObject({ action: "keep", why: "in use by ns/pod/p" });
    expect(plan.find((e) => e.tag === "multi")?.action).toBe("delete-manifest");
  });
});
