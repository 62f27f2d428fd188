/**
 * Evaluates `index.ts` under `pulumi.runtime.setMocks` with a stack's real config file, and records what
 * every resource was given. Unknown resource types and every invoke throw, so nothing passes unmocked.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { autoName, hexOf, isWireSecret, Recorded } from "./recorded";

export { autoName, k8sName, TYPES } from "./recorded";
export type { Recorded } from "./recorded";

export const ROOT = path.resolve(__dirname, "..");
export const PROJECT = "microk8s-pipeline";

/** Replaces each secret wrapper with its value and notes where it was. */
function unwrapSecrets(value: any, path: string, secretPaths: string[]): any {
  if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${path}[${i}]`, secretPaths));
  if (value === null || typeof value !== "object") return value;
  if (isWireSecret(value)) {
    secretPaths.push(path);
    return unwrapSecrets(value.value, path, []);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v, path ? `${path}.${k}` : k, secretPaths)]));
}

export interface Evaluation {
  resources: Recorded[];
  outputs: Record<string, unknown>;
  /** Export names whose Output is a Pulumi secret. */
  secretOutputs: Set<string>;
  /** Every value the mocks generated as a secret (random results), plus the secret config given. */
  secretValues: string[];
}

export interface EvaluateOptions {
  /** Replace whole top-level keys of the stack file (without the project prefix). */
  overrides?: Record<string, unknown>;
  /** Remove top-level keys of the stack file. */
  unset?: string[];
  /** Secret config values, as `pulumi config set --secret` would give them. */
  secrets?: Record<string, string>;
  /**
   * The stack's outputs as its last update left them, which the program reads through a StackReference to
   * itself (the storage guard); none by default, as on a first update.
   */
  previousOutputs?: Record<string, unknown>;
  /** Extra mocked resource outputs by type token. */
  outputsFor?: (type: string, name: string, inputs: Record<string, any>) => Record<string, unknown> | undefined;
}

export function stackConfig(stack: string): Record<string, unknown> {
  const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
  const doc = YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc.config ?? {})) out[key.replace(`${PROJECT}:`, "")] = value;
  return out;
}


const NO_FINDINGS = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 };
const KNOWN_PREFIXES = [`${PROJECT}:`, "kubernetes:", "random:", "command:", "docker:", "tls:"];
const STACK_REFERENCE = "pulumi:pulumi:StackReference";

function mockState(type: string, name: string, inputs: Record<string, any>, secretValues: string[]): Record<string, unknown> {
  if (type === "random:index/randomPassword:RandomPassword" || type === "random:index/randomString:RandomString") {
    const result = `Z${hexOf(`${type}/${name}`, Math.max(15, (inputs.length ?? 16) - 1))}`;
    secretValues.push(result);
    return { ...inputs, result };
  }
  if (type === "tls:index/privateKey:PrivateKey") {
    const privateKeyPem = `-----BEGIN PRIVATE KEY-----\nmock${hexOf(`${type}/${name}`, 32)}\n-----END PRIVATE KEY-----\n`;
    secretValues.push(privateKeyPem);
    return { ...inputs, privateKeyPem, publicKeyPem: `public-${name}` };
  }
  if (type === "tls:index/certRequest:CertRequest") return { ...inputs, certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\n${name}\n` };
  if (type === "tls:index/selfSignedCert:SelfSignedCert" || type === "tls:index/locallySignedCert:LocallySignedCert") {
    return { ...inputs, certPem: `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`, readyForRenewal: false };
  }
  if (type.startsWith("kubernetes:")) {
    const metadata = { ...(inputs.metadata ?? {}), name: inputs.metadata?.name ?? autoName(name) };
    return { ...inputs, metadata };
  }
  if (type === "docker:index/image:Image") {
    const repo = String(inputs.imageName).replace(/:[^/:]+$/, "");
    return { ...inputs, repoDigest: `${repo}@sha256:${createHash("sha256").update(JSON.stringify(inputs)).digest("hex")}` };
  }
  // The scan gate's script prints its summary when it passes (the integration suite runs it for real).
  if (type.startsWith("command:") && inputs.environment?.SCAN_IGNORE !== undefined) return { ...inputs, stdout: JSON.stringify(NO_FINDINGS), stderr: "" };
  if (type.startsWith("command:")) return { ...inputs, stdout: "", stderr: "" };
  return inputs;
}

interface MonitorSettings {
  getMonitor(): { registerResource(req: RegisterRequest, cb: unknown): unknown };
}
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getDependenciesList(): string[];
  getRetainondelete?(): boolean;
  getDeletebeforereplace(): boolean;
  getProtect?(): boolean;
}

/** What the mock monitor does not pass to the mocks, read off each registration request. */
interface Registration {
  dependsOn: string[];
  options: Recorded["options"];
}

function recordRegistrations(settings: MonitorSettings, into: Map<string, Registration>) {
  const monitor = settings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    into.set(`${req.getType()}::${req.getName()}`, {
      dependsOn: req.getDependenciesList().map((urn) => urn.split("::").pop() ?? urn),
      options: { retainOnDelete: req.getRetainondelete?.() ?? false, deleteBeforeReplace: req.getDeletebeforereplace(), protect: req.getProtect?.() ?? false },
    });
    return register(req, cb);
  };
}

interface LoadedSdk {
  pulumi: typeof import("@pulumi/pulumi");
  settings: { waitForRPCs(): Promise<void> };
}
let sdk: LoadedSdk | undefined;
let program: (() => Promise<Record<string, unknown>>) | undefined;

/**
 * The SDKs, loaded once per test file: each evaluation sets config and mocks afresh. Loading
 * @pulumi/kubernetes is the slow part of an evaluation, so it is loaded once.
 */
function loadedSdk(): LoadedSdk {
  sdk ??= { pulumi: require("@pulumi/pulumi"), settings: require("@pulumi/pulumi/runtime/settings") };
  return sdk;
}

/** The program, loaded once per test file: a function that reads its config when called, so each evaluation calls it again. */
function loadedProgram(): () => Promise<Record<string, unknown>> {
  if (!program) {
    memoizeGitReads();
    program = require("../index") as () => Promise<Record<string, unknown>>;
  }
  return program;
}

/**
 * The program reads git for each app's build inputs (three git processes). No test changes this checkout,
 * so within a test file each answer is read once; a failure is never kept, and test/unit/tags.test.ts
 * reads git for real on repositories it changes.
 */
function memoizeGitReads(): void {
  const git = require("../lib/git") as typeof import("../lib/git");
  const read = git.readGitInfo;
  const answers = new Map<string, ReturnType<typeof read>>();
  jest.spyOn(git, "readGitInfo").mockImplementation((context, dockerfile) => {
    const key = JSON.stringify([context, dockerfile]);
    let answer = answers.get(key);
    if (!answer) answers.set(key, (answer = read(context, dockerfile)));
    return { ...answer };
  });
}

/** Runs the program under mocks with the stack's config and resolves its exports. Rejects when the program throws. */
export async function evaluate(stack: string, options: EvaluateOptions = {}): Promise<Evaluation> {
  const values = { ...stackConfig(stack), ...(options.overrides ?? {}) };
  for (const key of options.unset ?? []) delete values[key];
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) config[`${PROJECT}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  const secretValues = Object.values(options.secrets ?? {});
  for (const [key, value] of Object.entries(options.secrets ?? {})) config[`${PROJECT}:${key}`] = value;

  return underMocks(stack, config, Object.keys(options.secrets ?? {}), secretValues, options, loadedProgram());
}

/**
 * Builds components alone under the same mocks, as awsx's tests do: `build` constructs them (importing
 * their modules itself) and returns what to resolve. No stack config is set.
 */
export async function buildComponents(build: () => Record<string, unknown>, options: Pick<EvaluateOptions, "outputsFor"> = {}): Promise<Evaluation> {
  return underMocks("unit", {}, [], [], options, async () => build());
}

/** Runs `run` under mocks that record each resource's inputs and options, and resolves what it returns. */
async function underMocks(
  stack: string,
  config: Record<string, string>,
  secretKeys: string[],
  secretValues: string[],
  options: EvaluateOptions,
  run: () => Promise<Record<string, unknown>>,
): Promise<Evaluation> {
  const resources: Recorded[] = [];
  const registrations = new Map<string, Registration>();
  const { pulumi, settings } = loadedSdk();
  pulumi.runtime.setAllConfig(config, secretKeys.map((k) => `${PROJECT}:${k}`));
  pulumi.runtime.setMocks(
    {
      newResource: ({ type, name, inputs, custom }) => {
        if (type === STACK_REFERENCE) return { id: inputs.name, state: { name: inputs.name, outputs: options.previousOutputs ?? {}, secretOutputNames: [] } };
        if (!KNOWN_PREFIXES.some((p) => type.startsWith(p))) throw new Error(`unmocked resource type ${type} (${name})`);
        const secretPaths: string[] = [];
        const plain = unwrapSecrets(inputs, "", secretPaths);
        resources.push({ type, name, custom: custom ?? true, inputs: plain, secretPaths, dependsOn: [], options: {} });
        inputs = plain;
        const extra = options.outputsFor?.(type, name, inputs) ?? {};
        return { id: `${name}-id`, state: { ...mockState(type, name, inputs, secretValues), ...extra } };
      },
      call: ({ token }) => {
        throw new Error(`unmocked invoke ${token}`);
      },
    },
    PROJECT,
    stack,
    false,
    "organization",
  );
  recordRegistrations(settings as unknown as MonitorSettings, registrations);
  return withoutStackTraces(async () => {
    const exported = await run();
    const outputs: Record<string, unknown> = {};
    const secretOutputs = new Set<string>();
    for (const [key, value] of Object.entries(exported)) {
      if (pulumi.Output.isInstance(value)) {
        outputs[key] = await new Promise((resolve) => (value as import("@pulumi/pulumi").Output<unknown>).apply(resolve));
        if (await pulumi.isSecret(value as import("@pulumi/pulumi").Output<unknown>)) secretOutputs.add(key);
      } else {
        outputs[key] = value;
      }
    }
    await settings.waitForRPCs();
    for (const r of resources) {
      const registration = registrations.get(`${r.type}::${r.name}`);
      r.dependsOn = registration?.dependsOn ?? [];
      r.options = registration?.options ?? {};
    }
    return { resources, outputs, secretOutputs, secretValues };
  });
}

/**
 * Runs `run` with no stack traces: the SDK records one on each of its promises, and Jest maps each of their
 * 100 frames through source maps, most of an evaluation's time. An error keeps its message;
 * EVALUATE_STACK_TRACE_LIMIT=100 gives stacks back.
 */
async function withoutStackTraces<T>(run: () => Promise<T>): Promise<T> {
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = Number(process.env.EVALUATE_STACK_TRACE_LIMIT ?? 0);
  try {
    return await run();
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/** True when the input at `path` arrived inside a Pulumi secret (secrecy covers the enclosing object). */
export const isSecretAt = (r: Recorded, path: string): boolean =>
  r.secretPaths.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));

/** The one recorded resource of `type` whose logical name ends with `suffix`. */
export function find(resources: Recorded[], type: string, suffix = ""): Recorded {
  const matches = resources.filter((r) => r.type === type && r.name.endsWith(suffix));
  if (matches.length !== 1) {
    throw new Error(`expected one ${type} named *${suffix}, found ${matches.map((m) => m.name).join(", ") || "none"}`);
  }
  return matches[0];
}

export function ofType(resources: Recorded[], type: string): Recorded[] {
  return resources.filter((r) => r.type === type);
}


