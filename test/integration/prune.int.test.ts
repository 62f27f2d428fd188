/**
 * registry-prune, the built CLI, against the real Distribution registry (2.8 and 3.1, every suite) filled
 * through its HTTP API: semver vs text order, latest sharing a digest with an old version, date tags, other tags by created
 * time, an OCI-only image and a multi-platform OCI index; then errors and injected faults.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as path from "path";
import { FixtureWriter, tagsOf } from "./registryFixtures";
import { RunningRegistry, startPlainRegistry } from "./declaredRegistry";
import { FaultProxy } from "./faultProxy";
import { CLI, prune } from "./pruneCli";
import { freePort, REGISTRY_VERSIONS, requireTestEnvironment, run, tempDir } from "./testEnv";
import { MANIFEST_ACCEPT } from "../../prune/mediaTypes";

const day = (d: string) => new Date(`${d}T12:00:00Z`);

/** Fills three repositories; returns the index's child digests. */
async function fill(url: string): Promise<{ children: string[] }> {
  const w = new FixtureWriter(url);
  const app = "team/app";
  for (const [tag, created] of [["1.8.0", "2025-01-08"], ["1.9.0", "2025-01-09"], ["1.10.0", "2025-01-10"], ["v2.0.0-rc.1", "2025-02-01"], ["2.0.0", "2025-03-01"]]) {
    await w.image(app, tag, { seed: tag, created: day(created) });
  }
  await w.image(app, "1.11.0", { seed: "1.11.0", created: day("2025-01-11"), format: "oci" });
  await w.retag(app, "1.8.0", "latest");
  const index = await w.index(app, "1.5.0", "1.5.0", day("2024-12-01"));
  await w.image(app, "2025-10-25", { seed: "d1", created: day("2025-10-25") });
  await w.image(app, "git-aaaaaaa", { seed: "g1", created: day("2026-01-01") });

  for (const [tag, created] of [["2025-10-25", "2025-10-25"], ["20251024-120000", "2025-10-24"], ["20251026-090000", "2025-10-26"], ["nightly", "2025-10-27"], ["branch-x", "2025-10-20"]]) {
    await w.image("team/dates", tag, { seed: tag, created: day(created) });
  }
  for (const [tag, created] of [["a", "2025-03-01"], ["b", "2025-01-01"], ["c", "2025-02-01"]]) {
    await w.image("team/misc", tag, { seed: tag, created: day(created) });
  }
  return { children: index.children };
}

const EXPECTED_SURVIVORS = {
  // keep 3: 2.0.0, v2.0.0-rc.1, 1.11.0 (OCI); latest protected; 1.8.0 shares latest's digest and goes alone.
  "team/app": ["1.11.0", "2.0.0", "latest", "v2.0.0-rc.1"],
  // keep 3: dates rank above other tags, newest date first.
  "team/dates": ["20251024-120000", "20251026-090000", "2025-10-25"],
  // keep 3 of 3.
  "team/misc": ["a", "b", "c"],
};

async function snapshot(url: string) {
  return Object.fromEntries(await Promise.all(Object.keys(EXPECTED_SURVIVORS).map(async (r) => [r, await tagsOf(url, r)] as const)));
}

describe.each(REGISTRY_VERSIONS)("registry-prune against the real registry $version", ({ image, tagDelete }) => {
  let registry: RunningRegistry;
  let url: string;
  let children: string[];

  beforeAll(async () => {
    await requireTestEnvironment();
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
    registry = await startPlainRegistry({ deletes: true, image });
    url = `http://${registry.host}`;
    ({ children } = await fill(url));
  }, 300_000);

  afterAll(async () => {
    await registry?.stop();
  });

  test("a dry run prints the plan and deletes nothing", async () => {
    const before = await snapshot(url);
    const result = await prune(["--registry", url, "--keep", "3"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/REPOSITORY.*TAG.*DIGEST.*ACTION.*WHY/);
    expect(result.stdout).toContain("dry run: nothing deleted. Would delete 8 tag(s) and 9 digest(s); 1 digest(s) kept because shared with a kept tag.");
    expect(result.stdout).toMatch(/1\.8\.0.*DELETE tag only.*through a throwaway manifest/);
    expect(await snapshot(url)).toEqual(before);
  });

  test("--json prints the same plan as JSON", async () => {
    const result = await prune(["--registry", url, "--keep", "3", "--json"]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ dryRun: true, tagDelete: false, summary: { tagsToDelete: 8, digestsToDelete: 9, digestsKeptShared: 1 } });
    const deleted = report.plan.filter((e: any) => e.action === "delete-manifest").map((e: any) => `${e.repo}:${e.tag}`);
    // The deleted index's two untagged platform manifests go with it.
    expect(deleted.sort()).toEqual([
      "team/app:",
      "team/app:",
      "team/app:1.10.0",
      "team/app:1.5.0",
      "team/app:1.9.0",
      "team/app:2025-10-25",
      "team/app:git-aaaaaaa",
      "team/dates:branch-x",
      "team/dates:nightly",
    ]);
  });

  test("--yes leaves exactly the kept tags, deletes the index whole (its untagged platform manifests too), and keeps latest's image although its old tag went", async () => {
    const result = await prune(["--registry", url, "--keep", "3", "--yes", "--concurrency", "4"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("tags deleted: 8, digests deleted: 9, digests kept because shared: 1, failures: 0");
    expect(result.stdout).toMatch(tagDelete ? /1\.8\.0 +\S+ +DELETE tag only .*: tag only$/m : /1\.8\.0 .*through a throwaway manifest/);
    expect(await snapshot(url)).toEqual(Object.fromEntries(Object.entries(EXPECTED_SURVIVORS).map(([r, t]) => [r, [...t].sort()])));
    const latest = await fetch(`${url}/v2/team/app/manifests/latest`, { method: "HEAD", headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json" } });
    expect(latest.status).toBe(200);
    for (const child of children) {
      const head = await fetch(`${url}/v2/team/app/manifests/${child}`, { method: "HEAD", headers: { Accept: "application/vnd.oci.image.manifest.v1+json" } });
      expect({ child, status: head.status }).toEqual({ child, status: 404 });
    }
    const again = await prune(["--registry", url, "--keep", "3", "--yes"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("tags deleted: 0, digests deleted: 0");
  });
});

describe.each(REGISTRY_VERSIONS)("registry-prune never breaks a kept image ($version)", ({ image }) => {
  let registry: RunningRegistry;
  let url: string;
  const repo = "team/multi";
  const sigOf = (digest: string) => `sha256-${digest.slice("sha256:".length)}.sig`;
  const status = async (ref: string) =>
    (await fetch(`${url}/v2/${repo}/manifests/${ref}`, { method: "HEAD", headers: { Accept: MANIFEST_ACCEPT } })).status;
  let index: { digest: string; children: string[]; size: number; mediaType: string };
  let old: { digest: string; size: number; mediaType: string };
  let sboms: { kept: string; old: string };
  const fallbackOf = (digest: string) => digest.replace(":", "-");

  beforeAll(async () => {
    await requireTestEnvironment();
    registry = await startPlainRegistry({ deletes: true, image });
    url = `http://${registry.host}`;
    const w = new FixtureWriter(url);
    old = await w.image(repo, "2.0.0", { seed: "old", created: day("2025-01-01") });
    // Per-architecture pushes, then an index over them (docker manifest create / buildx imagetools create).
    index = await w.index(repo, "3.0.0", "three", day("2025-06-01"));
    await w.retag(repo, index.children[0], "3.0.0-amd64");
    await w.retag(repo, index.children[1], "3.0.0-arm64");
    // cosign signatures of the newest release and of the old one, as tag-scheme artifacts.
    await w.image(repo, sigOf(index.digest), { seed: "sig-new", created: day("2025-06-02") });
    await w.image(repo, sigOf(old.digest), { seed: "sig-old", created: day("2025-01-02") });
    // SBOMs attached through OCI 1.1 `subject`, listed under the referrers fallback tag (neither version serves the API).
    sboms = { kept: await w.referrer(repo, index, "sbom-new"), old: await w.referrer(repo, old, "sbom-old") };
  }, 300_000);

  afterAll(async () => {
    await registry?.stop();
  });

  test("--keep 1: the kept index stays pullable with its platform manifests, signature and SBOM; the old release goes with its own", async () => {
    const result = await prune(["--registry", url, "--keep", "1", "--yes"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(await tagsOf(url, repo)).toEqual(["3.0.0", sigOf(index.digest), fallbackOf(index.digest)].sort());
    for (const ref of [index.digest, ...index.children, sboms.kept]) expect({ ref, status: await status(ref) }).toEqual({ ref, status: 200 });
    for (const ref of [old.digest, sboms.old]) expect({ ref, status: await status(ref) }).toEqual({ ref, status: 404 });
    expect(result.stdout).toMatch(/3\.0\.0-amd64.*DELETE tag only.*kept index 3\.0\.0, which lists it/);
    expect(result.stdout).toMatch(new RegExp(`\\(untagged\\) +${sboms.old.slice(7, 19)} +DELETE +untagged referrer of ${old.digest}, deleted with it`));
    expect(result.stdout).toContain("tags deleted: 5, digests deleted: 4");
  });
});

describe("registry-prune with the OCI 1.1 referrers API", () => {
  let registry: RunningRegistry;
  let proxy: FaultProxy;
  const repo = "team/signed";

  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  test("a registry that lists referrers: a kept image keeps its untagged signature, a deleted one takes its own along", async () => {
    await requireTestEnvironment();
    registry = await startPlainRegistry({ deletes: true, image: REGISTRY_VERSIONS[1].image });
    const url = `http://${registry.host}`;
    const w = new FixtureWriter(url);
    const [oldImage, newImage] = [await w.image(repo, "1.0.0", { seed: "r1", created: day("2025-01-01"), format: "oci" }), await w.image(repo, "2.0.0", { seed: "r2", created: day("2025-02-01"), format: "oci" })];
    const signatures = new Map([
      [oldImage.digest, await w.referrer(repo, oldImage, "sig-1", false)],
      [newImage.digest, await w.referrer(repo, newImage, "sig-2", false)],
    ]);
    // Distribution 3.1 stores `subject` but has no referrers endpoint yet: the proxy serves it, as a 1.1 registry would.
    proxy = await FaultProxy.start(url, (req) => {
      const asked = /^\/v2\/team\/signed\/referrers\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? "")?.[1];
      if (!asked) return "pass";
      const refs = signatures.has(asked) ? [{ mediaType: "application/vnd.oci.image.manifest.v1+json", artifactType: "application/spdx+json", digest: signatures.get(asked), size: 1 }] : [];
      return { status: 200, type: "application/vnd.oci.image.index.v1+json", body: JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: refs }) };
    });
    const result = await prune(["--registry", proxy.url, "--keep", "1", "--yes"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const head = async (ref: string) => (await fetch(`${url}/v2/${repo}/manifests/${ref}`, { method: "HEAD", headers: { Accept: "application/vnd.oci.image.manifest.v1+json" } })).status;
    expect(await tagsOf(url, repo)).toEqual(["2.0.0"]);
    expect(await head(signatures.get(newImage.digest)!)).toBe(200);
    expect(await head(signatures.get(oldImage.digest)!)).toBe(404);
    expect(proxy.seen.some((r) => r.url.includes("/referrers/"))).toBe(true);
  });
});

describe.each(REGISTRY_VERSIONS)("registry-prune errors ($version)", ({ image }) => {
  let plain: RunningRegistry;
  let noDeletes: RunningRegistry;
  let secured: RunningRegistry;

  beforeAll(async () => {
    await requireTestEnvironment();
    const dir = tempDir("htpasswd");
    const htpasswd = await run("htpasswd", ["-nbB", "ci", "right-password"]);
    fs.writeFileSync(path.join(dir, "htpasswd"), htpasswd.stdout);
    [plain, noDeletes, secured] = await Promise.all([
      startPlainRegistry({ deletes: true, image }),
      startPlainRegistry({ deletes: false, image }),
      startPlainRegistry({ deletes: true, htpasswdFile: path.join(dir, "htpasswd"), image }),
    ]);
    const auth = { Authorization: `Basic ${Buffer.from("ci:right-password").toString("base64")}` };
    for (const [r, headers] of [[plain, {}], [noDeletes, {}], [secured, auth]] as const) {
      const w = new FixtureWriter(`http://${r.host}`, headers);
      for (const v of ["1.0.0", "1.1.0", "1.2.0"]) await w.image("svc", v, { seed: v, created: day("2025-01-01") });
    }
  }, 300_000);

  afterAll(async () => {
    await Promise.all([plain, noDeletes, secured].filter(Boolean).map((r) => r.stop()));
  });

  test("an unreachable registry", async () => {
    const closed = await freePort();
    const result = await prune(["--registry", `http://127.0.0.1:${closed}`, "--keep", "1", "--attempts", "2"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`cannot reach the registry at http://127.0.0.1:${closed}: ECONNREFUSED`);
  });

  test("bad credentials (401)", async () => {
    const result = await prune(["--registry", `http://${secured.host}`, "--keep", "1", "--username", "ci"], { env: { REGISTRY_PASSWORD: "wrong" } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("the registry answered 401: check --username and the password");
  });

  test("right credentials from stdin work", async () => {
    const result = await prune(["--registry", `http://${secured.host}`, "--keep", "2", "--username", "ci", "--password-stdin", "--yes"], { input: "right-password\n" });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("tags deleted: 1");
  });

  test("a dry run sends only GET and HEAD, so a pull-only account can run it; it says deletes are checked at --yes", async () => {
    const proxy = await FaultProxy.start(`http://${plain.host}`, () => "pass");
    try {
      const dry = await prune(["--registry", proxy.url, "--keep", "1"]);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain("A dry run sends only GET and HEAD: whether the registry allows deletes, and deletes a tag alone (Distribution 3.x), is checked at --yes.");
      expect(new Set(proxy.seen.map((r) => r.method))).toEqual(new Set(["GET", "HEAD"]));
    } finally {
      await proxy.stop();
    }
  });

  test("a self-signed certificate: one clear line saying what to do, no retries", async () => {
    const dir = tempDir("tls");
    const made = await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")]);
    expect(made.code).toBe(0);
    let requests = 0;
    const server = https.createServer({ key: fs.readFileSync(path.join(dir, "key.pem")), cert: fs.readFileSync(path.join(dir, "cert.pem")) }, (_req, res) => {
      requests++;
      res.end("{}");
    });
    const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
    try {
      const result = await prune(["--registry", `https://127.0.0.1:${port}`, "--keep", "1", "--attempts", "4"]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(/TLS with https:\/\/127\.0\.0\.1:\d+ failed \(DEPTH_ZERO_SELF_SIGNED_CERT\): give the registry's CA with --ca-file/);
      expect(requests).toBe(0);
    } finally {
      server.close();
    }
  });

  test("an answer that is not a registry's (an HTML page) says so", async () => {
    const server = http.createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html><body>Welcome to nginx</body></html>"));
    const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
    try {
      const result = await prune(["--registry", `http://127.0.0.1:${port}`, "--keep", "1"]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`listing repositories: http://127.0.0.1:${port} did not answer as a Docker Registry v2 API (expected JSON, got "<html><body>Welcome to nginx</body></htm"): check --registry`);
    } finally {
      server.close();
    }
  });

  test("deletes disabled (405): --yes refuses and says how to enable them", async () => {
    const dry = await prune(["--registry", `http://${noDeletes.host}`, "--keep", "1"]);
    expect(dry.code).toBe(0);
    const result = await prune(["--registry", `http://${noDeletes.host}`, "--keep", "1", "--yes"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("deletes are disabled on this registry (405 UNSUPPORTED): enable them with storage.delete.enabled: true");
    expect(await tagsOf(`http://${noDeletes.host}`, "svc")).toEqual(["1.0.0", "1.1.0", "1.2.0"]);
  });

  test("a repository that does not exist", async () => {
    const result = await prune(["--registry", `http://${plain.host}`, "--keep", "1", "--repo", "no/such"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("repository no/such does not exist");
  });

  test.each([
    [["--keep", "1"], "required option '--registry <url>' not specified"],
    [["--registry", "ftp://x", "--keep", "1"], "must be http(s)://host[:port]"],
    [["--registry", "http://127.0.0.1:1", "--keep", "x"], "--keep <n>' argument 'x' is invalid. must be a whole number from 1 to 100000"],
    [["--registry", "http://127.0.0.1:1", "--keep", "0x10"], "argument '0x10' is invalid. must be a whole number"],
    [["--registry", "http://127.0.0.1:1", "--keep", "1e3"], "argument '1e3' is invalid. must be a whole number"],
    [["--registry", "http://127.0.0.1:1", "--keep", "1", "--attempts", "1000000"], "argument '1000000' is invalid. must be a whole number from 1 to 10"],
    [["--registry", "http://127.0.0.1:1", "--keep", "1", "--timeout-ms", "3000000000"], "must be a whole number from 100 to 600000"],
    [["--registry", "http://127.0.0.1:1", "--keep", "1", "--concurrency", "0"], "must be a whole number from 1 to 64"],
    [["--registry", "http://127.0.0.1:1", "--keep", "1", "--repo", "a/../b"], "argument 'a/../b' is invalid. must be a repository name"],
    [["--registry", "http://127.0.0.1:1", "--keep", "1", "--repo", ""], "must be a repository name"],
    [["--registry", "http://127.0.0.1:1", "--keep", "1", "--repo", "?x="], "must be a repository name"],
    [["--registry", "http://127.0.0.1:1", "--keep", "1", "--username", "u"], "--username needs a password"],
    [["--registry", "http://127.0.0.1:1", "--keep", "1", "--protect-digest", "abc"], "must be sha256:<64 hex characters>"],
  ])("bad flags %j", async (args, message) => {
    const result = await prune(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe.each(REGISTRY_VERSIONS)("registry-prune under injected faults ($version)", ({ image }) => {
  let registry: RunningRegistry;
  let url: string;
  let proxy: FaultProxy;
  let planned: { keep: Set<string>; remove: Set<string> };
  let persistentDigest: string;

  beforeAll(async () => {
    await requireTestEnvironment();
    registry = await startPlainRegistry({ deletes: true, image });
    url = `http://${registry.host}`;
    await fill(url);
    const dry = JSON.parse((await prune(["--registry", url, "--keep", "3", "--json"])).stdout);
    const key = (e: any) => `${e.repo}:${e.tag}`;
    planned = {
      keep: new Set(dry.plan.filter((e: any) => e.action.startsWith("keep")).map(key)),
      remove: new Set(dry.plan.filter((e: any) => e.action === "delete-manifest").map(key)),
    };
    persistentDigest = dry.plan.find((e: any) => e.repo === "team/app" && e.tag === "1.9.0").digest;
    // The first attempt of about a third of all requests fails (500, reset, or slower than the client's
    // timeout), chosen by a hash of the request so the schedule does not depend on arrival order; retries
    // pass. The DELETE of one digest always fails, so the run cannot finish and must say so.
    const bucket = (text: string) => createHash("sha256").update(text).digest()[0] % 9;
    proxy = await FaultProxy.start(url, (req, attempt) => {
      if (req.method === "DELETE" && req.url?.includes(persistentDigest)) return "500";
      if (attempt > 1) return "pass";
      return (["500", "reset", "slow"] as const)[bucket(`${req.method} ${req.url}`)] ?? "pass";
    });
  }, 300_000);

  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  test("no unplanned deletion and a non-zero exit; a re-run completes the plan", async () => {
    const faulty = await prune(["--registry", proxy.url, "--keep", "3", "--yes", "--timeout-ms", "1000", "--attempts", "3"]);
    expect(faulty.code).toBe(1);
    expect(faulty.stdout).toMatch(/FAILED team\/app:1\.9\.0/);
    expect(proxy.seen.some((s) => s.fault === "reset")).toBe(true);
    expect(proxy.seen.some((s) => s.fault === "slow")).toBe(true);

    const after = await snapshot(url);
    const present = new Set(Object.entries(after).flatMap(([r, tags]) => tags.map((t) => `${r}:${t}`)));
    for (const kept of planned.keep) expect({ kept, present: present.has(kept) }).toEqual({ kept, present: true });
    expect(present.has("team/app:1.9.0")).toBe(true);

    const rerun = await prune(["--registry", url, "--keep", "3", "--yes"]);
    expect(rerun.code).toBe(0);
    expect(await snapshot(url)).toEqual(Object.fromEntries(Object.entries(EXPECTED_SURVIVORS).map(([r, t]) => [r, [...t].sort()])));
  });
});
