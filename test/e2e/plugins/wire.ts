/**
 * What the plugin doubles share: the engine's wire form of secrets, deep comparison of inputs,
 * running a command, and serving a provider. Test-only: the doubles stand in for the command, random and
 * docker plugins that this machine cannot obtain; `PULUMI_E2E_PLUGIN_DIR` swaps in real ones.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as provider from "@pulumi/pulumi/provider";
import { isWireSecret, wireSecret } from "../../recorded";

export type Props = Record<string, any>;

export const secret = wireSecret;

/** The value with every secret wrapper removed (the real providers see plain values too). */
export function reveal<T = any>(value: any): T {
  if (isWireSecret(value)) return reveal(value.value);
  if (Array.isArray(value)) return value.map(reveal) as T;
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)])) as T;
  return value;
}

const canonical = (value: unknown) => JSON.stringify(reveal(value), (_k, v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v));

/** Top-level input keys whose values differ between the old state and the new inputs. */
export function changedKeys(olds: Props, news: Props, keys: string[]): string[] {
  return keys.filter((key) => canonical(olds[key] ?? null) !== canonical(news[key] ?? null));
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `file args` with `env`, collecting its output; `input` goes to its stdin. */
export function runProcess(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** The version of the SDK package the program uses, so the engine sees the plugin version it asks for. */
export function sdkVersion(pkg: string): string {
  const file = require.resolve(`@pulumi/${pkg}/package.json`);
  return JSON.parse(fs.readFileSync(file, "utf8")).version;
}

/** Serves `impl` to the engine; each double's file ends with this. */
export function serve(impl: provider.Provider): void {
  const log = process.env.PULUMI_E2E_DOUBLE_LOG;
  if (log) fs.appendFileSync(log, `${path.basename(process.argv[1])} pid ${process.pid}\n`);
  provider.main(impl, process.argv.slice(2)).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

/** The resource type of a URN (`urn:pulumi:stack::project::parent$type::name`). */
export const typeOf = (urn: string) => urn.split("::")[2].split("$").pop() as string;
