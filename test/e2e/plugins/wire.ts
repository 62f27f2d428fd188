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

// The SDK's generated engine client, and the gRPC package it was generated for (the SDK's own dependency).
const engineRpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
const engineProto = require("@pulumi/pulumi/proto/engine_pb");
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [path.dirname(require.resolve("@pulumi/pulumi/package.json"))] }));

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

/** The engine's address, the plugin's first argument (flags aside), as the real providers read it. */
const engineAddress = () => process.argv.slice(2).find((arg) => !arg.startsWith("-"));

/**
 * A diagnostic on `urn`, through the engine's Log call, as a real provider's host.Log sends it: the engine
 * shows it under the resource, and the Automation API reports it as a diagnostic event.
 */
export function logToEngine(severity: "info" | "warning", urn: string, message: string): Promise<void> {
  const address = engineAddress();
  if (!address) return Promise.resolve();
  const client = new engineRpc.EngineClient(address, grpc.credentials.createInsecure());
  const request = new engineProto.LogRequest();
  request.setSeverity(severity === "info" ? engineProto.LogSeverity.INFO : engineProto.LogSeverity.WARNING);
  request.setMessage(message);
  request.setUrn(urn);
  return new Promise((resolve, reject) => client.log(request, (error: Error | null) => (client.close(), error ? reject(error) : resolve())));
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
