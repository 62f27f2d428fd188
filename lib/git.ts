import { execFileSync } from "child_process";

/** What the tag strategies need from the checkout that holds the build context. */
export interface GitInfo {
  /** Abbreviated commit (7 characters). */
  shortSha: string;
  /** Uncommitted changes in the working tree. */
  dirty: boolean;
  /** Commit time in UTC, so date tags stay the same for the same commit. */
  commitDate: Date;
}

const git = (dir: string, args: string[]) => execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

/** Reads the checkout at `dir`; throws a message saying why when it is not one. */
export function readGitInfo(dir: string): GitInfo {
  try {
    const [sha, epoch] = git(dir, ["log", "-1", "--format=%h %ct", "--abbrev=7"]).split(" ");
    const dirty = git(dir, ["status", "--porcelain", "--untracked-files=normal"]).length > 0;
    return { shortSha: sha.slice(0, 7), dirty, commitDate: new Date(Number(epoch) * 1000) };
  } catch (error) {
    const reason = (error as { stderr?: Buffer | string }).stderr?.toString().trim() || String(error);
    throw new Error(`cannot read git commit in ${dir}: ${reason}. The git, date and combined tag strategies need a git checkout with a commit`);
  }
}
