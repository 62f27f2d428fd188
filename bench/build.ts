/**
 * Prints build figures for the sample app (not a test): cold build, rebuild after a code-only change, their
 * ratio, and the final image size against a single-stage build of the same app. Median of RUNS (default 3).
 * The app's npm packages come from the loopback registry, as in the tests: a real cold build also downloads
 * them (and pulls the base image), so these cold times are a lower bound and the ratio a conservative one.
 * Needs the integration test environment (scripts/test-env/setup.sh) and `npm run build`.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { docker, dockerOk, NODE_BASE_IMAGE, SETUP_COMMAND } from "../test/integration/docker";
import { SAMPLE_APP_DIR, withLocalNpm } from "../test/integration/npmRegistry";
import { median } from "./timing";

const RUNS = Number(process.env.RUNS ?? 3);
const MULTI = "bench/web:multi";
const SINGLE = "bench/web:single";

/** The document's single-stage Node example, for the same app: one image with everything the build saw. */
const SINGLE_STAGE_DOCKERFILE = `ARG BASE_IMAGE=node:24-alpine
FROM \${BASE_IMAGE}
WORKDIR /app
COPY package*.json ./
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci --omit=dev
COPY . .
USER 1000:1000
CMD ["node", "src/server.js"]
`;

const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);

async function timedMs(task: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await task();
  return Math.round(Number(process.hrtime.bigint() - start) / 1e6);
}

async function imageSize(image: string): Promise<number> {
  return Number(await dockerOk(["image", "inspect", "-f", "{{.Size}}", image]));
}

async function main(): Promise<void> {
  if ((await docker(["image", "inspect", NODE_BASE_IMAGE])).code !== 0) throw new Error(`missing ${NODE_BASE_IMAGE}: run ${SETUP_COMMAND}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-build-"));
  const app = path.join(work, "app");
  fs.cpSync(SAMPLE_APP_DIR, app, { recursive: true });
  try {
    await withLocalNpm(async (npmSecret) => {
      const build = (...args: string[]) => dockerOk(["build", "-q", "--network", "host", ...npmSecret, "--build-arg", `BASE_IMAGE=${NODE_BASE_IMAGE}`, ...args]);
      const cold: number[] = [];
      const rebuild: number[] = [];
      for (let run = 1; run <= RUNS; run++) {
        await dockerOk(["builder", "prune", "-af"]);
        cold.push(await timedMs(() => build("--no-cache", "-t", MULTI, app)));
        fs.appendFileSync(path.join(app, "src", "server.js"), `// code-only change ${run}\n`);
        rebuild.push(await timedMs(() => build("-t", MULTI, app)));
      }
      // The single-stage build takes the whole folder, without the .dockerignore, as the document's example.
      fs.rmSync(path.join(app, ".dockerignore"));
      fs.writeFileSync(path.join(work, "Dockerfile.single"), SINGLE_STAGE_DOCKERFILE);
      await build("-f", path.join(work, "Dockerfile.single"), "-t", SINGLE, app);

      const [coldMs, rebuildMs] = [median(cold), median(rebuild)];
      const version = await dockerOk(["version", "-f", "{{.Server.Version}}"]);
      console.log(`sample app build, median of ${RUNS} runs (docker ${version}, BuildKit, base ${NODE_BASE_IMAGE}, npm packages from a loopback registry)`);
      console.log(`  cold build (no cache)         ${String(coldMs).padStart(6)} ms   runs: ${cold.join(" ")}`);
      console.log(`  rebuild after a code change   ${String(rebuildMs).padStart(6)} ms   runs: ${rebuild.join(" ")}`);
      console.log(`  rebuild / cold                ${(rebuildMs / coldMs).toFixed(2).padStart(6)}      (target <= 0.25)`);
      console.log(`  image size multi-stage        ${megabytes(await imageSize(MULTI)).padStart(6)} MB`);
      console.log(`  image size single-stage       ${megabytes(await imageSize(SINGLE)).padStart(6)} MB`);
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    await docker(["rmi", "-f", MULTI, SINGLE]);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
