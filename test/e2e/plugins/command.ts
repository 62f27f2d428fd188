/**
 * Double of the command provider's `local.Command`, doing the real work: it runs `create`, `update` (or
 * `create` again when there is no `update`) and `delete` through the interpreter, with the resource's
 * environment over the plugin's own, and fails with the command's output when it exits non-zero. As in
 * the real provider, a change to `triggers` replaces the resource; any other change updates it, and the
 * previous output is in PULUMI_COMMAND_STDOUT / PULUMI_COMMAND_STDERR. `remote.Command` runs its scripts on
 * this machine, which plays the SSH host (no sshd here): the engine's create, delete and retain rules are
 * what its tests exercise.
 */
import { randomBytes } from "crypto";
import { changedKeys, Props, reveal, runProcess, sdkVersion, serve, typeOf } from "./wire";

const INPUTS = ["create", "update", "delete", "environment", "interpreter", "dir", "stdin", "triggers", "logging", "addPreviousOutputInEnv", "connection"];

async function runScript(urn: string, script: string, inputs: Props, previous?: Props): Promise<{ stdout: string; stderr: string }> {
  const plain = reveal<Props>(inputs);
  const interpreter: string[] = plain.interpreter ?? ["/bin/sh", "-c"];
  const env: NodeJS.ProcessEnv = { ...process.env, ...(plain.environment ?? {}) };
  if (previous && plain.addPreviousOutputInEnv !== false) {
    env.PULUMI_COMMAND_STDOUT = reveal(previous.stdout) ?? "";
    env.PULUMI_COMMAND_STDERR = reveal(previous.stderr) ?? "";
  }
  const ran = await runProcess(interpreter[0], [...interpreter.slice(1), script], { env, cwd: plain.dir, input: plain.stdin });
  if (ran.code !== 0) {
    throw new Error(`${typeOf(urn)}: exit status ${ran.code}: running "${script.split("\n")[0]}…":\n${ran.stderr || ran.stdout}`);
  }
  return { stdout: ran.stdout.replace(/\n$/, ""), stderr: ran.stderr.replace(/\n$/, "") };
}

serve({
  version: sdkVersion("command"),
  async diff(_id, _urn, olds, news) {
    const changed = changedKeys(olds, news, INPUTS);
    return { changes: changed.length > 0, replaces: changed.includes("triggers") ? ["triggers"] : [] };
  },
  async create(urn, inputs) {
    const out = inputs.create ? await runScript(urn, reveal(inputs.create), inputs) : { stdout: "", stderr: "" };
    return { id: randomBytes(8).toString("hex"), outs: { ...inputs, ...out } };
  },
  async update(_id, urn, olds, news) {
    const script = reveal(news.update ?? news.create);
    const out = script ? await runScript(urn, script, news, olds) : { stdout: olds.stdout, stderr: olds.stderr };
    return { outs: { ...news, ...out } };
  },
  async delete(_id, urn, props) {
    if (props.delete) await runScript(urn, reveal(props.delete), props, props);
  },
});
