/**
 * The one way the program runs a script on the machine that runs `pulumi up`: a local Command whose create
 * and update are the same rendered script, run by /bin/sh, with every input in its environment (secrets
 * stay out of the script text, so the text can feed triggers and plans).
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

export interface ShellCommandArgs {
  script: pulumi.Input<string>;
  /** What re-runs the script when it changes (the script text itself already does). */
  triggers?: pulumi.Input<any[]>;
  environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export const SHELL_INTERPRETER = ["/bin/sh", "-c"];

export function shellCommand(name: string, args: ShellCommandArgs, opts: pulumi.CustomResourceOptions): command.local.Command {
  return new command.local.Command(
    name,
    { create: args.script, update: args.script, interpreter: SHELL_INTERPRETER, triggers: args.triggers, environment: args.environment },
    opts,
  );
}
