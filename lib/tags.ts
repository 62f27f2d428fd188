import * as semver from "semver";
import type { GitInfo } from "./git";

export const TAG_STRATEGIES = ["semver", "git", "date", "env", "combined"] as const;
export type TagStrategy = (typeof TAG_STRATEGIES)[number];

export interface TagInputs {
  strategy: TagStrategy;
  /** The app's version (semver, with or without a leading v). */
  version: string;
  environment: string;
  /** Read lazily: only the git, date and combined strategies need a checkout. */
  git: () => GitInfo;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `20251025-143000` in UTC, the document's date tag shape. */
export function dateTag(date: Date): string {
  return (
    `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}-` +
    `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`
  );
}

function cleanVersion(version: string): string {
  const clean = semver.valid(version);
  if (!clean) throw new Error(`version "${version}" is not semver (for example 1.2.3 or v1.2.3-rc.1)`);
  return clean;
}

const dirtySuffix = (git: GitInfo) => (git.dirty ? "-dirty" : "");

/**
 * The primary tag of an image, from the document's strategies. Deterministic for the same commit and
 * version, so an unchanged `pulumi up` pushes nothing; the date comes from the commit, not the clock.
 */
export function primaryTag(inputs: TagInputs): string {
  switch (inputs.strategy) {
    case "semver":
      return cleanVersion(inputs.version);
    case "git": {
      const git = inputs.git();
      return `git-${git.shortSha}${dirtySuffix(git)}`;
    }
    case "date": {
      const git = inputs.git();
      return `${dateTag(git.commitDate)}${dirtySuffix(git)}`;
    }
    case "env":
      return inputs.environment;
    case "combined": {
      const git = inputs.git();
      return `v${cleanVersion(inputs.version)}-git-${git.shortSha}${dirtySuffix(git)}`;
    }
  }
}
