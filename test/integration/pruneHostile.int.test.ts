/**
 * registry-prune against hostile or broken registry answers, from a fake registry on loopback: each run
 * ends by itself with exit 2 and one line saying what was wrong, sends no request outside the repository,
 * and deletes nothing. Then the two rules of --yes: the throwaway manifest's digest is the one of the
 * bytes sent, and a tag that moved since the plan is skipped.
 */
import * as http from "http";
import { HostileRegistry } from "./hostileRegistry";
import { prune } from "./pruneCli";

const APP = { "1.0.0": "a", "2.0.0": "b", "3.0.0": "c" };
let registry: HostileRegistry;

beforeEach(async () => {
  registry = await HostileRegistry.start({ "team/app": { ...APP } });
});

afterEach(async () => {
  await registry.stop();
});

const send = (res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(body);
  return true;
};
/** One override: `path` (pathname, no query) answered by `reply`, every other request as a registry would. */
const on = (method: string, path: RegExp, reply: (req: http.IncomingMessage, res: http.ServerResponse, attempt: number) => boolean) => {
  registry.override = (req, res, attempt) => req.method === method && path.test(new URL(req.url ?? "/", "http://x").pathname) && reply(req, res, attempt);
};

/** Exit 2 with one line on stderr matching `line`, nothing written to the registry, no request outside `/v2/`'s repositories. */
async function refusedWith(args: string[], line: RegExp): Promise<void> {
  const result = await prune(["--registry", registry.url, "--keep", "1", "--yes", ...args]);
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: "" });
  expect(result.stderr.trim().split("\n")).toEqual([expect.stringMatching(line)]);
  expect(registry.writes()).toEqual([]);
  for (const seen of registry.seen) expect(seen.url).toMatch(/^\/v2\/(_catalog|team\/app\/)/);
}

describe("pagination", () => {
  test("a next page that comes back to a page already visited", async () => {
    on("GET", /^\/v2\/team\/app\/tags\/list$/, (req, res) => {
      const page = new URL(req.url ?? "", "http://x").searchParams.get("last") ? "2" : "1";
      const next = page === "1" ? "/v2/team/app/tags/list?n=1000&last=1.0.0" : "/v2/team/app/tags/list?n=1000";
      return send(res, 200, JSON.stringify({ tags: page === "1" ? ["1.0.0"] : ["2.0.0"] }), { link: `<${next}>; rel="next"` });
    });
    await refusedWith(["--repo", "team/app"], /^registry-prune: listing tags of team\/app: the registry's pagination came back to \/v2\/team\/app\/tags\/list\?n=1000; nothing was deleted$/);
  });

  test("pages that never end, each a new URL with the same names", async () => {
    on("GET", /^\/v2\/team\/app\/tags\/list$/, (req, res) => {
      const n = Number(new URL(req.url ?? "", "http://x").searchParams.get("page") ?? 0) + 1;
      return send(res, 200, JSON.stringify({ tags: ["1.0.0"] }), { link: `</v2/team/app/tags/list?page=${n}>; rel="next"` });
    });
    await refusedWith(["--repo", "team/app"], /listed 1\.0\.0 twice \(a pagination loop\)/);
  });

  test("empty pages that never end", async () => {
    on("GET", /^\/v2\/_catalog$/, (req, res) => {
      const n = Number(new URL(req.url ?? "", "http://x").searchParams.get("page") ?? 0) + 1;
      return send(res, 200, JSON.stringify({ repositories: [] }), { link: `</v2/_catalog?page=${n}>; rel="next"` });
    });
    await refusedWith([], /listing repositories: the registry sent an empty page with a next page/);
  });

  test.each([
    ["another endpoint", "/v2/team/other/tags/list?n=1"],
    ["another host", "http://127.0.0.2:5000/v2/team/app/tags/list?n=1"],
  ])("a next page on %s is never asked for", async (_what, next) => {
    on("GET", /^\/v2\/team\/app\/tags\/list$/, (_req, res) => send(res, 200, JSON.stringify({ tags: ["1.0.0"] }), { link: `<${next}>; rel="next"` }));
    await refusedWith(["--repo", "team/app"], /listing tags of team\/app: the registry's next page .* leaves \/v2\/team\/app\/tags\/list; nothing was deleted$/);
  });
});

describe("names outside their grammar are refused before they go into a URL", () => {
  test.each([["team/../admin"], ["team/app?x=1"], ["team/app#x"], ["Team/App"], [""]])("a repository %j in the catalog", async (name) => {
    on("GET", /^\/v2\/_catalog$/, (_req, res) => send(res, 200, JSON.stringify({ repositories: ["team/app", name] })));
    await refusedWith([], /^registry-prune: listing repositories: the registry sent .*, which is not a repository name; nothing was deleted$/);
  });

  test.each([["../../_catalog"], ["a/b"], [".hidden"], ["x".repeat(129)], [7]])("a tag %j in the tags list", async (tag) => {
    on("GET", /^\/v2\/team\/app\/tags\/list$/, (_req, res) => send(res, 200, JSON.stringify({ tags: ["1.0.0", tag] })));
    await refusedWith(["--repo", "team/app"], /^registry-prune: listing tags of team\/app: the registry sent .*, which is not a tag/);
  });

  test.each([["sha256:../../x"], ["md5:abc"], [`sha256:${"A".repeat(64)}`], ["sha256:abc?x"]])("a digest header %j", async (digest) => {
    on("HEAD", /^\/v2\/team\/app\/manifests\/2\.0\.0$/, (_req, res) => send(res, 200, "", { "docker-content-digest": digest, "content-type": "application/vnd.oci.image.manifest.v1+json" }));
    await refusedWith(["--repo", "team/app"], /^registry-prune: reading team\/app:2\.0\.0: the registry sent .*, which is not a digest/);
  });

  test("a tags list of the wrong type", async () => {
    on("GET", /^\/v2\/team\/app\/tags\/list$/, (_req, res) => send(res, 200, JSON.stringify({ tags: "1.0.0" })));
    await refusedWith(["--repo", "team/app"], /^registry-prune: listing tags of team\/app: the registry sent "1\.0\.0", which is not a list in "tags"/);
  });
});

describe("answers that would hold the run forever or fill its memory", () => {
  test("a registry that trickles its answer, never idle for long, meets each request's total deadline, and the run ends", async () => {
    on("GET", /^\/v2\/team\/app\/tags\/list$/, (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      // 200 bytes, one every 400 ms: an idle timeout of 1.5 s never fires, and the answer takes 80 s.
      const body = JSON.stringify({ tags: ["1.0.0"] }).padEnd(200, " ");
      let i = 0;
      const drip = setInterval(() => {
        if (res.destroyed || i >= body.length) return clearInterval(drip);
        res.write(body[i++]);
      }, 400);
      res.on("close", () => clearInterval(drip));
      return true;
    });
    await refusedWith(["--repo", "team/app", "--timeout-ms", "1500", "--attempts", "2"], /^registry-prune: GET \/v2\/team\/app\/tags\/list\?n=1000 failed after 2 attempts: ETIMEDOUT$/);
  }, 60_000);

  test.each([
    ["announced by Content-Length", true],
    ["sent without a length", false],
  ])("a body larger than --max-body-mb, %s", async (_what, announced) => {
    const big = JSON.stringify({ tags: Array.from({ length: 120_000 }, (_, i) => `t${i}`) });
    on("GET", /^\/v2\/team\/app\/tags\/list$/, (_req, res) => {
      res.writeHead(200, { "content-type": "application/json", ...(announced ? { "content-length": String(Buffer.byteLength(big)) } : {}) });
      res.end(big);
      return true;
    });
    await refusedWith(["--repo", "team/app", "--max-body-mb", "1"], /^registry-prune: GET \/v2\/team\/app\/tags\/list\?n=1000: the answer is larger than 1048576 bytes \(--max-body-mb\); nothing was deleted$/);
  });
});

describe("--yes re-checks what it deletes", () => {
  test("2.8: a throwaway manifest named by another digest than the bytes sent stops the run, and that digest is not deleted", async () => {
    await registry.stop();
    // latest shares 1.0.0's digest: 1.0.0 is removed alone, through a throwaway manifest (2.8 deletes only by digest).
    registry = await HostileRegistry.start({ "team/app": { ...APP, latest: "a" } }, "2.8");
    const imageDigest = HostileRegistry.digestOf("a");
    on("PUT", /^\/v2\/team\/app\/manifests\/1\.0\.0$/, (_req, res) => send(res, 201, "", { "docker-content-digest": imageDigest }));
    const result = await prune(["--registry", registry.url, "--repo", "team/app", "--keep", "1", "--yes", "--concurrency", "1"]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(
      new RegExp(`^registry-prune: retagging team/app:1\\.0\\.0: the registry named the throwaway manifest ${imageDigest}, not sha256:[0-9a-f]{64} \\(the digest of the bytes sent\\); stopped, and that digest was not deleted$`),
    );
    expect(registry.seen.filter((s) => s.method === "DELETE" && s.url.includes(imageDigest))).toEqual([]);
  });

  test.each([
    ["another host", "http://127.0.0.2:5000/v2/team/app/blobs/uploads/u1"],
    ["another repository", "/v2/team/other/blobs/uploads/u1"],
  ])("2.8: an upload location on %s is never followed", async (_what, location) => {
    await registry.stop();
    registry = await HostileRegistry.start({ "team/app": { ...APP, latest: "a" } }, "2.8");
    on("POST", /^\/v2\/team\/app\/blobs\/uploads\/$/, (_req, res) => send(res, 202, "", { location }));
    const result = await prune(["--registry", registry.url, "--repo", "team/app", "--keep", "1", "--yes", "--concurrency", "1"]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^registry-prune: uploading to team\/app: the registry's upload location .* leaves \/v2\/team\/app\/blobs\/uploads\/; nothing was deleted$/);
    expect(registry.writes().map((w) => `${w.method} ${w.url}`)).toEqual(["POST /v2/team/app/blobs/uploads/"]);
  });

  test("a tag pushed again after the plan was made is skipped and reported; the rest of the plan goes on", async () => {
    const planned = HostileRegistry.digestOf("a");
    const moved = HostileRegistry.digestOf("a2");
    // The first HEAD of 1.0.0 is the inventory's; the next one, just before the delete, sees the new push.
    on("HEAD", /^\/v2\/team\/app\/manifests\/1\.0\.0$/, (_req, res, attempt) =>
      attempt > 1 ? send(res, 200, "", { "docker-content-digest": moved, "content-type": "application/vnd.oci.image.manifest.v1+json" }) : false,
    );
    const result = await prune(["--registry", registry.url, "--repo", "team/app", "--keep", "1", "--yes", "--json"]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.outcomes).toEqual(
      expect.arrayContaining([
        { repo: "team/app", tag: "1.0.0", digest: planned, ok: true, skipped: true, detail: `skipped: 1.0.0 moved to ${moved} since the plan` },
        { repo: "team/app", tag: "2.0.0", digest: HostileRegistry.digestOf("b"), ok: true, detail: "deleted" },
      ]),
    );
    expect(report.summary).toMatchObject({ digestsDeleted: 1, skipped: 1 });
    // This registry deletes tags alone (3.x): 2.0.0 goes first, then its digest; nothing of 1.0.0.
    expect(registry.writes().map((w) => `${w.method} ${w.url}`)).toEqual(["DELETE /v2/team/app/manifests/2.0.0", `DELETE /v2/team/app/manifests/${HostileRegistry.digestOf("b")}`]);
  });
});
