import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stackMode } from "../../config/stackMode";
import { ROOT } from "../harness";

/** The npm stand-in answers `npm run --silent stack-mode -- FILE` as config/stackMode.ts does for that file. */
function npmStandIn(log: string, exit: string): string {
  const answers = ["dev", "prod"].map((stack) => {
    const result = stackMode(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
    if (!("mode" in result)) throw new Error(result.error);
    return `  Pulumi.${stack}.yaml) echo ${result.mode}; exit 0 ;;`;
  });
  return `#!/bin/sh
echo "npm $*" >> "${log}"
if [ "$2" = --silent ] && [ "$3" = stack-mode ]; then
  case "$5" in
${answers.join("\n")}
  esac
  exit 1
fi
${exit}
`;
}

/** Runs scripts/deploy.sh with stand-ins for pulumi, docker, npm, microk8s and kubectl that log their calls. */
function deploy(args: string[], options: { without?: string[]; failing?: string[]; env?: Record<string, string> } = {}) {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-bin-"));
  const log = path.join(bin, "calls.log");
  for (const tool of ["pulumi", "docker", "npm", "microk8s", "kubectl"].filter((t) => !options.without?.includes(t))) {
    const exit = options.failing?.includes(tool) ? "exit 1" : "exit 0";
    const standIn = tool === "npm" ? npmStandIn(log, exit) : `#!/bin/sh\necho "${tool} $*" >> "${log}"\n${exit}\n`;
    fs.writeFileSync(path.join(bin, tool), standIn, { mode: 0o755 });
  }
  for (const tool of ["node", "sed", "ls", "tr", "mkdir", "dirname", "cat"]) {
    const real = execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
    fs.symlinkSync(real, path.join(bin, tool));
  }
  const result = spawnSync("/bin/bash", [path.join(ROOT, "scripts", "deploy.sh"), ...args], {
    env: { PATH: bin, HOME: bin, PULUMI_CONFIG_PASSPHRASE: "x", ...options.env },
    encoding: "utf8",
  });
  const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
  fs.rmSync(bin, { recursive: true, force: true });
  return { code: result.status, stderr: result.stderr, calls };
}

describe("scripts/deploy.sh", () => {
  test("refuses a stack with no stack file, naming the stacks there are, before anything runs", () => {
    const run = deploy(["prdo"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("no stack file Pulumi.prdo.yaml: the stacks are dev prod");
    expect(run.calls).toEqual([]);
  });

  test("refuses to run without a stack name", () => {
    expect(deploy([]).stderr).toContain("name a stack: one of dev prod");
  });

  test("names every missing prerequisite", () => {
    const run = deploy(["dev"], { without: ["pulumi", "microk8s"] });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("missing prerequisite: pulumi");
    expect(run.stderr).toContain("missing prerequisite: microk8s (this stack enables its registry addon)");
  });

  test("prod previews and updates with the policy pack and prod's mandatory policy config", () => {
    const run = deploy(["prod", "--yes"]);
    expect(run.code).toBe(0);
    const policy = "--policy-pack policy --policy-pack-config policy/config/prod.json";
    expect(run.calls).toEqual(expect.arrayContaining(["pulumi stack select --create prod", `pulumi preview ${policy}`, `pulumi up --refresh ${policy} --yes`]));
    expect(run.calls.indexOf(`pulumi preview ${policy}`)).toBeLessThan(run.calls.indexOf(`pulumi up --refresh ${policy} --yes`));
  });

  test("dev stops when MicroK8s does not answer, naming the microk8s group", () => {
    const run = deploy(["dev"], { failing: ["microk8s"] });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("microk8s does not answer: start it (microk8s start) and add your user to the microk8s group");
    expect(run.calls.some((c) => c.startsWith("pulumi"))).toBe(false);
  });

  test("stops when the kubeconfig reaches no running cluster", () => {
    const run = deploy(["prod"], { failing: ["kubectl"] });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("the kubeconfig does not reach a running cluster");
  });
});
