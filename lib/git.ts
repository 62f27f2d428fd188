import { execFileSync } from "child_process";
import * as path from "path";
import { isWithin } from "./paths";

/** What the tag strategies need from the checkout that holds the build context. */
export interface GitInfo {
  /** Abbreviated commit (7 characters) of the last commit that touched the build inputs. */
  shortSha: string;
  /** Uncommitted changes to the build inputs. */
  dirty: boolean;
  /** That commit's time in UTC, so date tags stay the same for the same inputs. */
  commitDate: Date;
}

const git = (dir: string, args: string[]) => execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

/**
 * Reads git for the build inputs only (the context folder and the Dockerfile): a commit or an uncommitted
 * edit elsewhere (a README, `Pulumi.<stack>.yaml` rewritten by `pulumi stack init` or `config set`) changes
 * neither the tag nor the image, so it rolls no Deployment. Throws a message saying why when `context` is
 * not in a checkout or no commit touched it.
 */
export function readGitInfo(context: string, dockerfile?: string): GitInfo {
  const inputs = [context, ...(dockerfile && !isWithin(dockerfile, context) ? [dockerfile] : [])];
  try {
    const top = git(context, ["rev-parse", "--show-toplevel"]);
    const pathspecs = ["--", ...inputs.map((p) => path.relative(top, p) || ".")];
    const last = git(top, ["log", "-1", "--format=%h %ct", "--abbrev=7", ...pathspecs]);
    if (!last) throw new Error(`no commit touches ${pathspecs.slice(1).join(", ")}`);
    const [sha, epoch] = last.split(" ");
    const dirty = git(top, ["status", "--porcelain", "--untracked-files=normal", ...pathspecs]).length > 0;
    return { shortSha: sha.slice(0, 7), dirty, commitDate: new Date(Number(epoch) * 1000) };
  } catch (error) {
    const reason = (error as { stderr?: Buffer | string }).stderr?.toString().trim() || (error as Error).message || String(error);
    throw new Error(
      `cannot read git commit for ${inputs.join(" and ")}: ${reason}. The git, date and combined tag strategies need the build context in a git checkout, committed`,
    );
  }
}

