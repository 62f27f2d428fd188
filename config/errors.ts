import { RunError } from "@pulumi/pulumi";
import type { z } from "zod";

/**
 * A config error that names the stack, the key, the bad value and what is allowed. A RunError, so the
 * engine prints the message alone (no stack trace, no object dump).
 */
export class ConfigError extends RunError {
  constructor(readonly stackName: string, readonly problems: string[]) {
    super(`Invalid config for stack "${stackName}":\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** The value at the issue's key; zod reports a discriminator problem with the enclosing object as input. */
function valueAt(issue: z.core.$ZodIssue): unknown {
  const last = issue.path[issue.path.length - 1];
  const input = issue.input;
  if (last !== undefined && typeof input === "object" && input !== null && !Array.isArray(input) && String(last) in input) {
    return (input as Record<string, unknown>)[String(last)];
  }
  return input;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "(not set)";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * One line per zod issue: `<project>:<key.path> = <value>: <what is allowed>`. `keyHint` explains an
 * unknown key at the root (for example a key of another registry mode).
 */
export function describeIssues(project: string, rootKey: string, issues: z.core.$ZodIssue[], keyHint?: (key: string) => string): string[] {
  return issues.flatMap((issue) => {
    const key = [rootKey, ...issue.path.map(String)].join(".");
    if (issue.code === "unrecognized_keys") {
      if (keyHint && issue.path.length === 0) return issue.keys.map((k) => `${project}:${key}.${k}: ${keyHint(k)}`);
      return [`${project}:${key}: unknown key(s) ${issue.keys.join(", ")}; check the spelling against the README's config reference`];
    }
    return `${project}:${key} = ${describeValue(valueAt(issue))}: ${issue.message}`;
  });
}
