import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readGitInfo } from "../../lib/git";
import { dateTag, isValidTag, primaryTag, TagStrategy } from "../../lib/tags";

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
    expect(isValidTag(expected)).toBe(true);
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
  const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { encoding: "utf8" }).trim();
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tags-git-"));
    git("init", "-q");
    fs.writeFileSync(path.join(dir, "a.txt"), "one\n");
    git("add", "a.txt");
    execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "first"], {
      env: { ...process.env, GIT_COMMITTER_DATE: "2025-10-25T14:30:00Z", GIT_AUTHOR_DATE: "2025-10-25T14:30:00Z" },
    });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("a clean checkout gives the commit's short sha and time", () => {
    const info = readGitInfo(dir);
    expect(info).toEqual({ shortSha: git("rev-parse", "--short=7", "HEAD"), dirty: false, commitDate: new Date("2025-10-25T14:30:00Z") });
    expect(primaryTag({ strategy: "git", version: "1.0.0", environment: "dev", git: () => info })).toBe(`git-${info.shortSha}`);
    expect(primaryTag({ strategy: "date", version: "1.0.0", environment: "dev", git: () => info })).toBe("20251025-143000");
  });

  test("an uncommitted change marks it dirty", () => {
    fs.writeFileSync(path.join(dir, "a.txt"), "two\n");
    try {
      const info = readGitInfo(dir);
      expect(info.dirty).toBe(true);
      expect(primaryTag({ strategy: "combined", version: "1.0.0", environment: "dev", git: () => info })).toBe(`v1.0.0-git-${info.shortSha}-dirty`);
    } finally {
      git("checkout", "--", "a.txt");
    }
  });

  test("a folder outside any checkout fails with the reason", () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), "no-git-"));
    try {
      expect(() => readGitInfo(outside)).toThrow(/cannot read git commit in .*: .*The git, date and combined tag strategies need a git checkout/);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});
