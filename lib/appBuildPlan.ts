import * as fs from "fs";
import * as path from "path";
import { GitInfo, readGitInfo } from "./git";
import { isDigestPinned } from "./imageRef";
import { isWithin } from "./paths";
import { enginePlatform } from "./platform";
import { primaryTag, TagStrategy } from "./tags";

/** What the plan reads of an app's validated settings (config's AppSettings has this shape). */
export interface BuildableApp {
  version: string;
  tag?: string;
  image?: string;
  build?: { context: string; dockerfile?: string; args: Record<string, string>; target?: string; platform?: string; network?: string };
}

/** Everything an app's image build needs, decided before any resource is registered. */
export interface AppBuildPlan {
  context: string;
  dockerfile: string;
  /** The primary tag: the app's explicit `tag`, or the strategy's. */
  tag: string;
  /** Moving tags pushed beside it (never the primary tag itself). */
  extraTags: string[];
  /** The app's build args, plus VERSION, REVISION and CREATED for the image labels. */
  buildArgs: Record<string, string>;
  target?: string;
  /** The app's `build.platform`, else this machine's (lib/platform.ts). */
  platform: string;
  network?: string;
}

export interface BuildPlanInputs {
  strategy: TagStrategy;
  environment: string;
  extraTags: string[];
  /** Build contexts and Dockerfiles are relative to it, and must stay inside it. */
  projectDir: string;
}

/**
 * The build plan of an app built from source. Throws a BuildPlanError naming the app's key at fault
 * (`build.context`, `build.dockerfile`), so config validation reports it before any resource exists.
 * Git is read for the tag strategies that need it, and otherwise only for the image's REVISION label.
 */
export function planAppBuild(app: BuildableApp, inputs: BuildPlanInputs): AppBuildPlan {
  const build = app.build;
  if (!build) throw new BuildPlanError("build", "the app has no build (it deploys a prebuilt image)");
  const context = path.resolve(inputs.projectDir, build.context);
  const dockerfile = path.resolve(inputs.projectDir, build.dockerfile ?? path.join(build.context, "Dockerfile"));
  if (!isWithin(context, inputs.projectDir)) throw new BuildPlanError("build.context", `is outside the project (${inputs.projectDir}); keep build contexts in the repository`);
  if (!fs.statSync(context, { throwIfNoEntry: false })?.isDirectory()) throw new BuildPlanError("build.context", `no folder ${context}`);
  if (!isWithin(dockerfile, inputs.projectDir)) throw new BuildPlanError("build.dockerfile", `is outside the project (${inputs.projectDir})`);
  if (!fs.statSync(dockerfile, { throwIfNoEntry: false })?.isFile()) throw new BuildPlanError("build.dockerfile", `no file ${dockerfile}`);

  let git: GitInfo | undefined;
  let gitError: Error | undefined;
  try {
    git = readGitInfo(context, dockerfile);
  } catch (error) {
    gitError = error as Error;
  }
  const tag =
    app.tag ??
    primaryTag({
      strategy: inputs.strategy,
      version: app.version,
      environment: inputs.environment,
      git: () => {
        if (!git) throw new BuildPlanError("build.context", gitError?.message ?? "no git information");
        return git;
      },
    });
  return {
    context,
    dockerfile,
    tag,
    extraTags: inputs.extraTags.filter((t) => t !== tag),
    buildArgs: {
      ...build.args,
      VERSION: app.version,
      REVISION: git?.shortSha ?? "unknown",
      // The commit time, not the clock: the same inputs build the same image config.
      CREATED: git?.commitDate.toISOString() ?? "1970-01-01T00:00:00.000Z",
    },
    target: build.target,
    platform: build.platform ?? enginePlatform(),
    network: build.network,
  };
}

/** A build plan problem, naming the app's key it comes from. */
export class BuildPlanError extends Error {
  constructor(readonly key: string, message: string) {
    super(message);
  }
}

/**
 * IfNotPresent for what names one image (a built app's digest, a prebuilt image by digest); Always for a
 * prebuilt image by tag, which may move under the same name.
 */
export function pullPolicyFor(app: Pick<BuildableApp, "build" | "image">): "IfNotPresent" | "Always" {
  return app.build || isDigestPinned(app.image ?? "") ? "IfNotPresent" : "Always";
}
