import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { enginePlatform } from "./platform";

/** The image's name under a registry's retention namespace. */
export const PRUNE_IMAGE_NAME = "registry-prune";
export const PRUNE_DOCKERFILE = "prune/Dockerfile";

/**
 * What prune/Dockerfile reads from the repository (the same list, as `!` lines, is /.dockerignore): the
 * tag hashes exactly these, so it changes when the image would, and a second up builds nothing.
 */
export function pruneImageInputs(projectDir: string): string[] {
  const sources = fs
    .readdirSync(path.join(projectDir, "prune"))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => `prune/${f}`);
  return [...sources, "prune/package.json", "prune/package-lock.json", "prune/tsconfig.json", "lib/patterns.ts", "tsconfig.json", PRUNE_DOCKERFILE].sort();
}

/** `<version>-<12 hex of the inputs' sha256>`: deterministic, and new exactly when an input changed. */
export function pruneImageTag(projectDir: string): string {
  const hash = createHash("sha256");
  for (const file of pruneImageInputs(projectDir)) hash.update(`${file}\0`).update(fs.readFileSync(path.join(projectDir, file))).update("\0");
  const version = JSON.parse(fs.readFileSync(path.join(projectDir, "prune", "package.json"), "utf8")).version;
  return `${version}-${hash.digest("hex").slice(0, 12)}`;
}

/** How the program builds the image: the repository's root as context, prune/Dockerfile, the tag above. */
export interface PruneImageBuild {
  context: string;
  dockerfile: string;
  tag: string;
  args: Record<string, string>;
  platform: string;
  network?: string;
}

export function planPruneImage(projectDir: string, build: { args: Record<string, string>; platform?: string; network?: string }): PruneImageBuild {
  return {
    context: projectDir,
    dockerfile: path.join(projectDir, PRUNE_DOCKERFILE),
    tag: pruneImageTag(projectDir),
    args: build.args,
    platform: build.platform ?? enginePlatform(),
    ...(build.network ? { network: build.network } : {}),
  };
}
