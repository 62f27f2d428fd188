/**
 * The pipeline's shell scripts live as files in lib/shell/, so shellcheck and editors read them as shell.
 * Rendering drops a file's comment lines (`#` alone or `# …`, indented or not: they are its documentation)
 * but keeps `# shellcheck disable=…` lines, since shellcheck reads the rendered script, and drops the last
 * newline; and fills each `@@NAME@@` from `values` in one pass, so a value is never read as a
 * placeholder. A placeholder without a value, or a value without a placeholder, is an error: a script is
 * never rendered half-filled.
 */
import * as fs from "fs";
import * as path from "path";

const SHELL_DIR = path.join(__dirname, "shell");
const PLACEHOLDER = /@@([A-Z][A-Z0-9_]*)@@/g;
const COMMENT_LINE = /^\s*#(\s|$)/;
const SHELLCHECK_DISABLE = /^\s*# shellcheck disable=/;

const sources = new Map<string, string>();

/** A script's text as rendered before any value goes in: its lines without the comment lines. */
function scriptSource(name: string): string {
  let text = sources.get(name);
  if (text === undefined) {
    const file = fs.readFileSync(path.join(SHELL_DIR, `${name}.sh`), "utf8");
    text = file.replace(/\n$/, "").split("\n").filter((line) => !COMMENT_LINE.test(line) || SHELLCHECK_DISABLE.test(line)).join("\n");
    sources.set(name, text);
  }
  return text;
}

export function renderScript(name: string, values: Record<string, string | number> = {}): string {
  const used = new Set<string>();
  const rendered = scriptSource(name).replace(PLACEHOLDER, (_, key: string) => {
    if (!Object.prototype.hasOwnProperty.call(values, key)) throw new Error(`lib/shell/${name}.sh: no value for @@${key}@@`);
    used.add(key);
    return String(values[key]);
  });
  const unused = Object.keys(values).filter((key) => !used.has(key));
  if (unused.length > 0) throw new Error(`lib/shell/${name}.sh has no placeholder for ${unused.join(", ")}`);
  return rendered;
}
