/**
 * Prints, under the real Pulumi engine and control plane (the e2e environment), for the dev stack, the
 * prod stack and a prod stack with 20 apps: the preview time, the first `up`, a no-op `up`, and an `up`
 * after an app code change, with the builds each did. Not a test: figures. Target: the 20-app no-op `up`
 * within 3x the 1-app one, with 0 builds.
 * Needs scripts/test-env/setup.sh and `npm run build`.
 */
import * as fs from "fs";
import * as path from "path";
import type { DriverResult } from "../test/e2e/driver";
import { E2eEnvironment, succeeded } from "../test/e2e/harness";

const APPS = Number(process.env.APPS ?? 20);

interface Row {
  stack: string;
  preview: number;
  firstUp: number;
  noopUp: number;
  noopBuilds: number;
  codeChangeUp: number;
  codeChangeBuilds: number;
}

async function timed(env: E2eEnvironment, op: "preview" | "up", stack: string): Promise<{ seconds: number; result: DriverResult }> {
  const start = process.hrtime.bigint();
  const result = succeeded(await env.op(op, stack));
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, result };
}

const builds = (result: DriverResult) => result.steps.filter((s) => s.type === "docker:index/image:Image").length;

async function measure(env: E2eEnvironment, stack: string): Promise<Row> {
  const preview = await timed(env, "preview", stack);
  const first = await timed(env, "up", stack);
  const noop = await timed(env, "up", stack);
  fs.appendFileSync(path.join(env.projectDir, "app", "src", "server.js"), `// bench: code change for ${stack}\n`);
  await env.commit(`bench: code change for ${stack}`);
  const change = await timed(env, "up", stack);
  succeeded(await env.op("destroy", stack));
  return {
    stack,
    preview: preview.seconds,
    firstUp: first.seconds,
    noopUp: noop.seconds,
    noopBuilds: builds(noop.result),
    codeChangeUp: change.seconds,
    codeChangeBuilds: builds(change.result),
  };
}

function print(rows: Row[]): void {
  const header = ["stack", "preview", "first up", "no-op up", "builds", "code-change up", "builds"];
  const lines = rows.map((r) => [r.stack, `${r.preview.toFixed(1)} s`, `${r.firstUp.toFixed(1)} s`, `${r.noopUp.toFixed(1)} s`, String(r.noopBuilds), `${r.codeChangeUp.toFixed(1)} s`, String(r.codeChangeBuilds)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  for (const line of [header, ...lines]) console.log(line.map((c, i) => c.padEnd(widths[i])).join("  "));
}

async function main(): Promise<void> {
  const env = await E2eEnvironment.start();
  try {
    await env.createBucket("container-registry");
    const stackFile = (name: string) => path.join(env.projectDir, `Pulumi.${name}.yaml`);
    fs.copyFileSync(stackFile("prod"), stackFile(`prod${APPS}`));
    env.editStackFile(`prod${APPS}`, (config) => {
      const [web] = config["microk8s-pipeline:apps"];
      config["microk8s-pipeline:apps"] = Array.from({ length: APPS }, (_, i) => ({ ...web, name: `web${String(i).padStart(2, "0")}`, replicas: 1 }));
    });
    console.log(`plugins: ${Object.entries(env.plugins).map(([n, k]) => `${n} ${k}`).join(", ")}`);
    const rows = [];
    for (const stack of ["dev", "prod", `prod${APPS}`]) rows.push(await measure(env, stack));
    print(rows);
    const [, one, many] = rows;
    const ratio = many.noopUp / one.noopUp;
    console.log(`no-op up, ${APPS} apps against 1: ${ratio.toFixed(2)}x (target <= 3x), builds in the no-op ups: ${rows.map((r) => r.noopBuilds).join(", ")} (target 0)`);
  } finally {
    await env.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
