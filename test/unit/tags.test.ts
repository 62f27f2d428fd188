import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readGitInfo } from "../../lib/git";
import { DOCKER_TAG } from "../../lib/patterns";
import { dateTag, primaryTag, TagStrategy } from "../../lib/tags";

const fakeGit = (dirty: boolean) => () => ({ shortSha: "a1b2c3d", dirty, commitDate: new Date("2025-10-25T14:30:00Z") });
const tagFor = (strategy: TagStrategy, version = "1.2.3", dirty = false) =>
  primaryTag({ strategy, version, environment: "prod", git: fakeGit(dirty) });

describe("primaryTag", () => {
  test.each([
    ["semver", "1.2.3"],
    ["git", "git-a1b2c3d"],
    ["date", "20251025-143000"],
    ["env", "prod"],
    ["combined", "v1.2.3-git-a1b2c3d"],
  ] as const)("%s gives %s", (strategy, expected) => {
    expect(tagFor(strategy)).toBe(expected);
    expect(expected).toMatch(DOCKER_TAG);
  });

  test("a dirty tree is marked on every git-based tag", () => {
    expect(tagFor("git", "1.2.3", true)).toBe("git-a1b2c3d-dirty");
    expect(tagFor("combined", "1.2.3", true)).toBe("v1.2.3-git-a1b2c3d-dirty");
    expect(tagFor("date", "1.2.3", true)).toBe("20251025-143000-dirty");
  });

  test("semver accepts a leading v and prereleases, and refuses what is not semver", () => {
    expect(tagFor("semver", "v2.0.0-rc.1")).toBe("2.0.0-rc.1");
    expect(() => tagFor("semver", "latest")).toThrow('version "latest" is not semver');
    expect(() => tagFor("combined", "1.2")).toThrow("is not semver");
  });

  test("semver and env strategies never read git", () => {
    const git = () => {
      throw new Error("git read");
    };
    expect(primaryTag({ strategy: "semver", version: "1.0.0", environment: "dev", git })).toBe("1.0.0");
    expect(primaryTag({ strategy: "env", version: "1.0.0", environment: "dev", git })).toBe("dev");
  });

  test("dateTag is UTC", () => {
    expect(dateTag(new Date("2026-01-02T03:04:05+02:00"))).toBe("20260102-010405");
  });
});

describe("readGitInfo on a real repository", () => {
  let dir: string;
  let ctx: string;
  const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { encoding: "utf8" }).trim();
  const commit = (message: string, date: string) =>
    execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", message], {
      env: { ...process.env, GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date },
    });
  const write = (file: string, text: string) => fs.writeFileSync(path.join(dir, file), text);
  let appCommit: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tags-git-"));
    ctx = path.join(dir, "app");
    git("init", "-q");
    fs.mkdirSync(ctx);
    fs.mkdirSync(path.join(dir, "docker"));
    write("app/a.txt", "one\n");
    write("docker/Dockerfile", "FROM scratch\n");
    git("add", ".");
    commit("app", "2025-10-25T14:30:00Z");
    appCommit = git("rev-parse", "--short=7", "HEAD");
    // A later commit outside the build inputs: a README edit.
    write("README.md", "docs\n");
    git("add", "README.md");
    commit("docs", "2025-11-01T09:00:00Z");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("the last commit that touched the context gives the short sha and time, not HEAD", () => {
    const info = readGitInfo(ctx);
    expect(info).toEqual({ shortSha: appCommit, dirty: false, commitDate: new Date("2025-10-25T14:30:00Z") });
    expect(git("rev-parse", "--short=7", "HEAD")).not.toBe(appCommit);
    expect(primaryTag({ strategy: "git", version: "1.0.0", environment: "dev", git: () => info })).toBe(`git-${appCommit}`);
    expect(primaryTag({ strategy: "date", version: "1.0.0", environment: "dev", git: () => info })).toBe("20251025-143000");
  });

  test("an uncommitted change inside the context marks it dirty", () => {
    write("app/a.txt", "two\n");
    try {
      const info = readGitInfo(ctx);
      expect(info.dirty).toBe(true);
      expect(primaryTag({ strategy: "combined", version: "1.0.0", environment: "dev", git: () => info })).toBe(`v1.0.0-git-${appCommit}-dirty`);
    } finally {
      git("checkout", "--", "app/a.txt");
    }
  });

  test("uncommitted changes outside the inputs (a stack file rewritten by pulumi stack init) leave it clean", () => {
    write("Pulumi.dev.yaml", "encryptionsalt: v1:abc\n");
    write("README.md", "edited\n");
    try {
      expect(readGitInfo(ctx).dirty).toBe(false);
    } finally {
      fs.rmSync(path.join(dir, "Pulumi.dev.yaml"));
      git("checkout", "--", "README.md");
    }
  });

  test("a Dockerfile outside the context counts as a build input", () => {
    const dockerfile = path.join(dir, "docker", "Dockerfile");
    write("docker/Dockerfile", "FROM scratch\nUSER 1000\n");
    try {
      expect(readGitInfo(ctx).dirty).toBe(false);
      expect(readGitInfo(ctx, dockerfile).dirty).toBe(true);
      git("add", "docker/Dockerfile");
      commit("dockerfile", "2025-12-01T00:00:00Z");
      expect(readGitInfo(ctx, dockerfile)).toMatchObject({ shortSha: git("rev-parse", "--short=7", "HEAD"), dirty: false });
      expect(readGitInfo(ctx).shortSha).toBe(appCommit);
    } finally {
      git("reset", "-q", "--hard", "HEAD~1");
    }
  });

  test("a folder outside any checkout fails with the reason", () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), "no-git-"));
    try {
      expect(() => readGitInfo(outside)).toThrow(/cannot read git commit for .*: .*need the build context in a git checkout/);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  test("a context that no commit touched fails naming it", () => {
    fs.mkdirSync(path.join(dir, "new-app"));
    write("new-app/x.txt", "x\n");
    try {
      expect(() => readGitInfo(path.join(dir, "new-app"))).toThrow(/no commit touches new-app/);
    } finally {
      fs.rmSync(path.join(dir, "new-app"), { recursive: true });
    }
  });
});
