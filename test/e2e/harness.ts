/**
 * The e2e environment: the real Pulumi CLI and kubernetes provider, a real control plane on loopback,
 * the program copied into a git repository of its own (so scenarios can commit), the command, random and
 * docker plugins (doubles unless PULUMI_E2E_PLUGIN_DIR has real ones), moto for S3, a loopback npm
 * registry for the image build, and the registry pod played by RegistryPodPlayer. Each stack operation
 * runs test/e2e/driver.ts in a process of its own. Everything listens on 127.0.0.1.
 */
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { startLocalNpmRegistry, LocalNpmRegistry } from "../integration/npmRegistry";
import { MotoServer, NODE_BASE_IMAGE, REPO_ROOT, requireTestEnvironment, run, Run, tempDir } from "../integration/testEnv";
import { Kubectl, RegistryPodPlayer } from "./cluster";
import type { DriverResult } from "./driver";

export type StackOperation = "preview" | "preview-no-changes" | "up" | "up-refresh" | "destroy";

export const TOOLS_DIR = process.env.E2E_TOOLS_DIR ?? path.join(os.homedir(), ".cache", "microk8s-pipeline", "e2e-tools");
/** The control plane's binaries (build-e2e-tools.sh's `cluster` part), which the integration layer also runs. */
const CLUSTER_TOOLS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok", "kwok-stages.yaml"];
const TOOLS = ["pulumi", "pulumi-resource-kubernetes", ...CLUSTER_TOOLS];
/** Where the program installs the prod registry's CA for the Docker daemon (registry.tls.dockerCertsDir/localhost:32000). */
const DOCKER_TRUST_DIR = "/etc/docker/certs.d/localhost:32000";
const PLUGINS = ["kubernetes", "command", "random", "docker", "tls"] as const;
const PASSPHRASE = "e2e-passphrase-not-a-secret";
/** Where the prod stack's registry pod reaches MinIO, as its config declares it. */
const MINIO_HOST = "minio.minio.svc.cluster.local:9000";

const git = (dir: string, args: string[]) => run("git", ["-C", dir, "-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid", ...args]);

async function ok(what: string, result: Promise<Run>): Promise<string> {
  const r = await result;
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr || r.stdout}`);
  return r.stdout;
}

function requireTools(tools: string[], layer: "e2e" | "integration"): void {
  const missing = tools.filter((t) => !fs.existsSync(path.join(TOOLS_DIR, t)));
  if (missing.length > 0) throw new Error(`e2e tools missing in ${TOOLS_DIR} (${missing.join(", ")}): run scripts/test-env/setup.sh ${layer}`);
}
export const requireE2eTools = (): void => requireTools(TOOLS, "e2e");
/** For the integration tests that start a control plane: they run no Pulumi. */
export const requireClusterTools = (): void => requireTools(CLUSTER_TOOLS, "integration");

export class E2eEnvironment {
  readonly kubectl: Kubectl;
  player!: RegistryPodPlayer;
  /** Which plugins are real binaries and which are test doubles. */
  readonly plugins: Record<string, "real" | "double"> = {};
  private moto!: MotoServer;
  private npm!: LocalNpmRegistry;

  private constructor(
    readonly root: string,
    readonly projectDir: string,
    private readonly binDir: string,
  ) {
    this.kubectl = new Kubectl(path.join(TOOLS_DIR, "kubectl"), path.join(root, "cluster", "kubeconfig"));
  }

  static async start(): Promise<E2eEnvironment> {
    requireE2eTools();
    await requireTestEnvironment();
    const root = tempDir("e2e");
    // So that a CA there was put there by this run's program.
    fs.rmSync(DOCKER_TRUST_DIR, { recursive: true, force: true });
    const env = new E2eEnvironment(root, path.join(root, "project"), path.join(root, "bin"));
    try {
      await ok("control-plane.sh up", run("bash", [path.join(REPO_ROOT, "scripts/test-env/control-plane.sh"), "up", TOOLS_DIR, path.join(root, "cluster")]));
      env.npm = await startLocalNpmRegistry();
      env.moto = await MotoServer.start();
      await env.makeProject();
      env.linkPlugins();
      env.player = new RegistryPodPlayer(env.kubectl, { [MINIO_HOST]: env.moto.url });
      env.player.start();
    } catch (error) {
      await env.stop();
      throw error;
    }
    return env;
  }

  async stop(): Promise<void> {
    await this.player?.stop();
    await this.npm?.stop();
    await this.moto?.stop();
    await run("bash", [path.join(REPO_ROOT, "scripts/test-env/control-plane.sh"), "down", path.join(this.root, "cluster")]);
    // The CA the prod stack's trust command gave Docker (a user's destroy leaves it; the suite's run does not).
    fs.rmSync(DOCKER_TRUST_DIR, { recursive: true, force: true });
    if (!process.env.E2E_KEEP) fs.rmSync(this.root, { recursive: true, force: true });
  }

  /** The bucket the prod registry stores into, as the MinIO admin would make it. */
  async createBucket(bucket: string): Promise<void> {
    const s3 = new S3Client({ endpoint: this.moto.url, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "admin", secretAccessKey: "admin-secret" } });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }

  /**
   * The working tree (tracked and untracked, not ignored) in a repository of its own with one commit, the
   * stack files adjusted to this machine (local base image, loopback npm registry, host-network builds),
   * compiled in place so the driver can load `index.js`.
   */
  private async makeProject(): Promise<void> {
    const files = (await ok("git ls-files", run("git", ["-C", REPO_ROOT, "ls-files", "-co", "--exclude-standard", "-z"]))).split("\0").filter(Boolean);
    for (const file of files) {
      const from = path.join(REPO_ROOT, file);
      if (!fs.existsSync(from)) continue;
      fs.mkdirSync(path.dirname(path.join(this.projectDir, file)), { recursive: true });
      fs.copyFileSync(from, path.join(this.projectDir, file));
    }
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(this.projectDir, "node_modules"));
    for (const stack of ["dev", "prod"]) this.editStackFile(stack, (config) => this.forThisMachine(config));
    await ok("git init", git(this.projectDir, ["init", "-q"]));
    fs.writeFileSync(path.join(this.projectDir, ".git", "info", "exclude"), "*.js\n.e2e-tsconfig.json\n");
    await this.commit("initial");
    // JavaScript beside each source, as the nodejs runtime's TypeScript support would load it: `__dirname`
    // is then the project folder. An explicit `exclude` keeps tsc from excluding its own outDir.
    const tsconfig = path.join(this.projectDir, ".e2e-tsconfig.json");
    fs.writeFileSync(tsconfig, JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { outDir: ".", rootDir: ".", sourceMap: false }, exclude: ["node_modules"] }));
    await ok("tsc", run(path.join(REPO_ROOT, "node_modules", ".bin", "tsc"), ["-p", tsconfig]));
  }

  private forThisMachine(config: Record<string, any>): void {
    for (const app of config["microk8s-pipeline:apps"] ?? []) {
      if (!app.build) continue;
      app.build.network = "host";
      app.build.args = { ...(app.build.args ?? {}), BASE_IMAGE: NODE_BASE_IMAGE, NPM_CONFIG_REGISTRY: `${this.npm.url}/` };
    }
    // The registry-prune image builds the same way, when a managed registry's retention is turned on.
    const registry = config["microk8s-pipeline:registry"];
    if (registry?.mode === "managed") {
      registry.retention = { ...(registry.retention ?? {}), build: { network: "host", args: { BASE_IMAGE: NODE_BASE_IMAGE, NPM_CONFIG_REGISTRY: `${this.npm.url}/` } } };
    }
  }

  /** A new stack whose file is the checked-in `Pulumi.<from>.yaml` (as this machine needs it), changed by `edit`. */
  addStack(name: string, from: string, edit: (config: Record<string, any>) => void): void {
    fs.copyFileSync(path.join(REPO_ROOT, `Pulumi.${from}.yaml`), path.join(this.projectDir, `Pulumi.${name}.yaml`));
    this.editStackFile(name, (config) => {
      this.forThisMachine(config);
      edit(config);
    });
  }

  /** Rewrites `Pulumi.<stack>.yaml` through `edit` (uncommitted). */
  editStackFile(stack: string, edit: (config: Record<string, any>) => void): void {
    const file = path.join(this.projectDir, `Pulumi.${stack}.yaml`);
    const doc = YAML.parseDocument(fs.readFileSync(file, "utf8"));
    const json = doc.toJS();
    edit(json.config);
    fs.writeFileSync(file, YAML.stringify(json));
  }

  async commit(message: string): Promise<void> {
    await ok("git add", git(this.projectDir, ["add", "-A"]));
    await ok("git commit", git(this.projectDir, ["commit", "-q", "--allow-empty", "-m", message]));
  }

  /** The plugins the engine finds on PATH: real ones from PULUMI_E2E_PLUGIN_DIR (and the built kubernetes), doubles otherwise. */
  private linkPlugins(): void {
    fs.mkdirSync(this.binDir, { recursive: true });
    const realDir = process.env.PULUMI_E2E_PLUGIN_DIR;
    for (const name of PLUGINS) {
      const target = path.join(this.binDir, `pulumi-resource-${name}`);
      const real = realDir && path.join(realDir, `pulumi-resource-${name}`);
      if (real && fs.existsSync(real)) {
        fs.symlinkSync(real, target);
        this.plugins[name] = "real";
      } else if (name === "kubernetes") {
        fs.symlinkSync(path.join(TOOLS_DIR, "pulumi-resource-kubernetes"), target);
        this.plugins[name] = "real";
      } else {
        const script = path.join(this.projectDir, "test", "e2e", "plugins", `${name}.js`);
        fs.writeFileSync(target, `#!/bin/sh\nexec "${process.execPath}" "${script}" "$@"\n`, { mode: 0o755 });
        this.plugins[name] = "double";
      }
    }
    fs.symlinkSync(path.join(TOOLS_DIR, "pulumi"), path.join(this.binDir, "pulumi"));
  }

  /** What the engine, its plugins and the CLI run with. */
  engineEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: [this.binDir, path.join(this.projectDir, "test", "e2e", "bin"), process.env.PATH].join(":"),
      PULUMI_HOME: path.join(this.root, "pulumi-home"),
      PULUMI_BACKEND_URL: `file://${path.join(this.root, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
      KUBECONFIG: this.kubectl.kubeconfig,
      KUBECTL: path.join(TOOLS_DIR, "kubectl"),
      MICROK8S_STANDIN_LOG: path.join(this.root, "microk8s.log"),
      NO_COLOR: "1",
    };
    fs.mkdirSync(path.join(this.root, "state"), { recursive: true });
    return env;
  }

  /**
   * One stack operation through the driver, in a fresh process; `extraEnv` reaches the engine and its
   * plugins (TLS_DOUBLE_NOW moves the tls double's clock).
   */
  op(operation: StackOperation, stack: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<DriverResult> {
    return this.opIn(this.projectDir, operation, stack, extraEnv);
  }

  /** The same for another program (a folder with `index.js`), under the same engine, plugins and backend. */
  async opIn(programDir: string, operation: StackOperation, stack: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<DriverResult> {
    const driver = path.join(this.projectDir, "test", "e2e", "driver.js");
    const resultFile = path.join(this.root, `result-${process.hrtime.bigint()}.json`);
    const result = await run(process.execPath, [driver, operation, programDir, stack, resultFile], { env: { ...this.engineEnv(), ...extraEnv }, cwd: programDir, timeoutMs: 900_000 });
    if (!fs.existsSync(resultFile)) throw new Error(`driver ${operation} ${stack} wrote no result (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    const parsed = JSON.parse(fs.readFileSync(resultFile, "utf8")) as DriverResult;
    fs.rmSync(resultFile);
    return parsed;
  }

  /** The Pulumi CLI in the project, with the engine's environment. */
  pulumi(args: string[], input?: string): Promise<Run> {
    return run(path.join(TOOLS_DIR, "pulumi"), [...args, "--non-interactive"], { env: this.engineEnv(), cwd: this.projectDir, input });
  }

  async pulumiOk(args: string[], input?: string): Promise<string> {
    return ok(`pulumi ${args.join(" ")}`, this.pulumi(args, input));
  }

  microk8sCalls(): string[] {
    const log = path.join(this.root, "microk8s.log");
    return fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
  }
}

/** Throws with the engine's output when an operation failed. */
export function succeeded(result: DriverResult): DriverResult {
  if (!result.ok) throw new Error(`operation failed: ${result.error}\n--- engine output ---\n${result.stdout}`);
  return result;
}
