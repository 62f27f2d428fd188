#!/usr/bin/env node
/**
 * registry-prune: keeps the N newest tags of each repository (semver-aware), never deletes a digest that a
 * kept tag points to, and deletes nothing without --yes. Exit codes: 0 done, 1 some deletions failed
 * (re-run to finish), 2 bad flags or a registry error that stopped it before any deletion.
 */
import * as fs from "fs";
import { Command, InvalidArgumentError } from "commander";
import { Capability, executePlan, probeCapability } from "./execute";
import { ClientOptions, DELETES_DISABLED_HELP, mapLimit, RegistryClient, RegistryError } from "./http";
import { inventory, listRepositories } from "./inventory";
import { ClusterError, listWorkloads, TurnWait, waitForTurn } from "./cluster";
import { digestsInUse, ImageUse, imageUses } from "./inUse";
import { isRepositoryName } from "./names";
import { DNS_LABEL, HOST_PORT } from "../lib/patterns";
import { DEFAULT_PROTECTED_TAGS, PlanEntry, planRepository } from "./plan";
import { jsonReport, planTableChunks, RunReport, summaryText } from "./report";
import { bytesFreed, readManifests } from "./bytes";

export interface PruneOptions {
  registry: string;
  username?: string;
  password?: string;
  repos: string[];
  keep: number;
  protectTags: string[];
  protectDigests: string[];
  yes: boolean;
  json: boolean;
  /** Read every planned manifest to say how many bytes the next garbage collection frees. */
  countBytes: boolean;
  /** Protect every digest the cluster's workloads use; the hosts their image references may name this registry by. */
  inUse?: { kubeconfig?: string; hosts: string[] };
  /** Run only once this Job is first among its registry's unfinished maintenance Jobs (prune/turn.ts). */
  waitTurn?: { kubeconfig?: string; namespace: string; job: string } & TurnWait;
  client: Omit<ClientOptions, "username" | "password">;
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
}

/** Decimal digits only (no 0x10, 1e3, 2.0), within bounds that keep a run finite. */
const wholeNumber = (min: number, max: number) => (value: string) => {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
  return n;
};

/** A repository named on the command line, checked before any request. */
function repositoryName(value: string): string {
  if (!isRepositoryName(value)) {
    throw new InvalidArgumentError("must be a repository name: lower-case components of letters, digits and . _ - joined by / (such as team/app)");
  }
  return value;
}

function registryUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError("must be a URL such as http://localhost:32000");
  }
  if (!["http:", "https:"].includes(url.protocol) || url.pathname.replace(/\/$/, "") !== "") {
    throw new InvalidArgumentError("must be http(s)://host[:port] with no path");
  }
  return `${url.protocol}//${url.host}`;
}

const digestArg = (value: string) => {
  if (!/^sha256:[a-f0-9]{64}$/.test(value)) throw new InvalidArgumentError("must be sha256:<64 hex characters>");
  return value;
};

/** `host[:port]` as image references carry it. */
const hostArg = (value: string) => {
  if (!HOST_PORT.test(value)) throw new InvalidArgumentError("must be host[:port], such as registry-managed.container-registry.svc:5000");
  return value;
};

/** `namespace/job`: a DNS label, and a Job name (a CronJob's are DNS labels too). */
const jobArg = (value: string) => {
  const [namespace, job, ...rest] = value.split("/");
  if (rest.length > 0 || !DNS_LABEL.test(namespace ?? "") || !DNS_LABEL.test(job ?? "")) throw new InvalidArgumentError("must be namespace/job, each a DNS label");
  return { namespace, job };
};
const collect = <T>(parse: (v: string) => T) => (value: string, previous: T[] = []) => [...previous, parse(value)];

export function buildCommand(): Command {
  return new Command("registry-prune")
    .description("Delete old image tags from a Docker Registry v2, keeping the newest N per repository (dry run unless --yes).")
    .requiredOption("--registry <url>", "registry base URL, e.g. http://localhost:32000", registryUrl)
    .option("--username <user>", "basic-auth user (password from REGISTRY_PASSWORD or --password-stdin)")
    .option("--password-stdin", "read the password from standard input")
    .option("--ca-file <path>", "PEM file of the CA an https:// registry is verified against (a private CA)")
    .option("--repo <name>", "repository to prune (repeatable; default: every repository in the catalog)", collect(repositoryName), [])
    .requiredOption("--keep <n>", "how many of the newest tags to keep per repository", wholeNumber(1, 100_000))
    .option("--protect <tag>", `tag never deleted (repeatable; added to: ${DEFAULT_PROTECTED_TAGS.join(", ")})`, collect(String), [])
    .option("--no-default-protect", "do not protect the default tags")
    .option("--protect-digest <digest>", "digest never deleted (repeatable)", collect(digestArg), [])
    .option("--in-use-from-cluster", "never delete a digest the cluster's Pods, ReplicaSets, Deployments, StatefulSets, DaemonSets, Jobs or CronJobs use (list rights only)")
    .option("--kubeconfig <path>", "with --in-use-from-cluster: the kubeconfig (default: the pod's account in a cluster, else ~/.kube/config)")
    .option("--in-use-host <host>", "with --in-use-from-cluster: another host:port image references name this registry by (repeatable; --registry's host always counts)", collect(hostArg), [])
    .option("--wait-turn <namespace/job>", "run as this Job of a maintenance CronJob: first wait for the registry's maintenance Jobs created before it (its garbage collection) to finish (list on Jobs)", jobArg)
    .option("--wait-turn-timeout <seconds>", "with --wait-turn: how long to wait before stopping with nothing deleted", wholeNumber(1, 86_400), 1800)
    .option("--count-bytes", "read every manifest of the plan to say how many bytes the next garbage collection frees (about; one GET per manifest)")
    .option("--yes", "delete; without it nothing is deleted and the plan is printed")
    .option("--json", "print the plan and results as JSON")
    .option("--concurrency <k>", "requests in flight at once", wholeNumber(1, 64), 8)
    .option("--timeout-ms <ms>", "each request's total deadline (a slow answer is cut off and retried)", wholeNumber(100, 600_000), 30000)
    .option("--max-body-mb <mb>", "the largest answer held in memory; a larger one stops the run", wholeNumber(1, 1024), 64)
    .option("--attempts <n>", "attempts per request on 429, 5xx, resets and timeouts", wholeNumber(1, 10), 4)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
}

/** Parses argv into options; throws a usage message (exit 2) on bad flags. */
export async function parseOptions(argv: string[], io: Io): Promise<PruneOptions> {
  const command = buildCommand();
  command.parse(argv, { from: "user" });
  const o = command.opts();
  let password = io.env.REGISTRY_PASSWORD;
  if (o.passwordStdin) password = (await io.readStdin()).replace(/\r?\n$/, "");
  if (o.username && !password) throw new UsageError("--username needs a password: set REGISTRY_PASSWORD or pass --password-stdin");
  if (!o.username && o.passwordStdin) throw new UsageError("--password-stdin needs --username");
  if (o.caFile && !String(o.registry).startsWith("https:")) throw new UsageError("--ca-file needs an https:// --registry");
  if (!o.inUseFromCluster && o.inUseHost.length > 0) throw new UsageError("--in-use-host needs --in-use-from-cluster");
  if (!o.inUseFromCluster && !o.waitTurn && o.kubeconfig) throw new UsageError("--kubeconfig needs --in-use-from-cluster or --wait-turn");
  let ca: string | undefined;
  if (o.caFile) {
    try {
      ca = fs.readFileSync(o.caFile, "utf8");
    } catch (error) {
      throw new UsageError(`--ca-file ${o.caFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    if (!ca.includes("-----BEGIN CERTIFICATE-----")) throw new UsageError(`--ca-file ${o.caFile}: is not a PEM certificate`);
  }
  return {
    registry: o.registry,
    username: o.username,
    password: o.username ? password : undefined,
    repos: o.repo,
    keep: o.keep,
    protectTags: [...new Set([...(o.defaultProtect ? DEFAULT_PROTECTED_TAGS : []), ...o.protect])],
    protectDigests: o.protectDigest,
    yes: Boolean(o.yes),
    json: Boolean(o.json),
    countBytes: Boolean(o.countBytes),
    ...(o.inUseFromCluster ? { inUse: { kubeconfig: o.kubeconfig, hosts: [new URL(o.registry).host, ...o.inUseHost] } } : {}),
    ...(o.waitTurn ? { waitTurn: { kubeconfig: o.kubeconfig, ...o.waitTurn, pollMs: 5000, timeoutMs: o.waitTurnTimeout * 1000 } } : {}),
    client: { concurrency: o.concurrency, timeoutMs: o.timeoutMs, attempts: o.attempts, backoffMs: 200, maxBodyBytes: o.maxBodyMb * 1024 * 1024, ca },
  };
}

export class UsageError extends Error {}

/** Plans every repository before deleting anything, then (with --yes) carries out exactly that plan. */
export async function prune(options: PruneOptions, io: Io): Promise<number> {
  const client = new RegistryClient(options.registry, { ...options.client, username: options.username, password: options.password });
  try {
    return await pruneWith(client, options, io);
  } finally {
    client.close();
  }
}

/**
 * Every repository's inventory, the registry's delete capability, and the plan. The inventories stay in
 * here: once planned, only the plan is kept, which is what bounds the memory of a large run.
 */
async function planAll(client: RegistryClient, options: PruneOptions, uses: ImageUse[]): Promise<{ plan: PlanEntry[]; capability: Capability }> {
  const repos = options.repos.length > 0 ? options.repos : await listRepositories(client);
  // A few repositories at a time (each keeps the client's requests busy): their working sets are not all held at once.
  const inventories = await mapLimit(repos, options.client.concurrency, async (repo) => ({ repo, ...(await inventory(client, repo, options.client.concurrency)) }));
  // The capability probe is a DELETE: a dry run sends only GET and HEAD, plans as for 2.8, and says so.
  const probeRepo = inventories.find((i) => i.tags.length > 0)?.repo;
  const capability = probeRepo && options.yes ? await probeCapability(client, probeRepo) : { deletesEnabled: true, tagDelete: false };

  const plan: PlanEntry[] = inventories.flatMap(({ repo, tags, referrers }) =>
    planRepository(
      repo,
      tags,
      { keep: options.keep, protectTags: options.protectTags, protectDigests: options.protectDigests, inUse: digestsInUse(repo, uses, tags), tagDelete: capability.tagDelete },
      referrers,
    ),
  );
  return { plan, capability };
}

async function pruneWith(client: RegistryClient, options: PruneOptions, io: Io): Promise<number> {
  // Its turn first (garbage collection holds the registry read-only), then the cluster: if either cannot be
  // read, nothing is asked of the registry, and nothing is deleted.
  if (options.waitTurn) await waitForTurn(options.waitTurn.kubeconfig, options.waitTurn.namespace, options.waitTurn.job, options.waitTurn, io.err);
  const uses = options.inUse ? imageUses(await listWorkloads(options.inUse.kubeconfig), options.inUse.hosts) : [];
  const { plan, capability } = await planAll(client, options, uses);
  const wantsDeletes = plan.some((e) => e.action === "delete-manifest" || e.action === "delete-tag");
  if (!capability.deletesEnabled && wantsDeletes) {
    if (options.yes) throw new RegistryError("deletes-disabled", DELETES_DISABLED_HELP, 405);
    io.err(`warning: ${DELETES_DISABLED_HELP}`);
  }
  // Read before the deletions, while every planned manifest is still there.
  const freed = options.countBytes ? bytesFreed(plan, await readManifests(client, plan, options.client.concurrency)) : undefined;
  const outcomes = options.yes ? await executePlan(client, plan, options.client.concurrency, capability) : [];
  const report: RunReport = {
    registry: options.registry,
    dryRun: !options.yes,
    tagDelete: capability.tagDelete,
    plan,
    outcomes,
    inUse: options.inUse !== undefined,
    ...(freed !== undefined ? { bytesFreedAfterGc: outcomes.some((o) => !o.ok) ? undefined : freed } : {}),
  };
  if (options.json) io.out(jsonReport(report));
  else {
    for (const chunk of planTableChunks(plan)) io.out(chunk);
    io.out(summaryText(report));
  }
  return outcomes.some((o) => !o.ok) ? 1 : 0;
}

/** The whole CLI, with its exit code; every error ends as one clear line on stderr. */
export async function main(argv: string[], io: Io): Promise<number> {
  try {
    return await prune(await parseOptions(argv, io), io);
  } catch (error) {
    const e = error as Error & { code?: string; exitCode?: number };
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version") {
      io.out(buildCommand().helpInformation());
      return 0;
    }
    // The client knows nothing of its caller; what to do about an answer is said here, in the CLI's terms.
    const advice =
      error instanceof RegistryError && error.kind === "unauthorized"
        ? ": check --username and the password (REGISTRY_PASSWORD or --password-stdin)"
        : error instanceof RegistryError && error.kind === "not-a-registry"
          ? ": check --registry"
          : "";
    if (error instanceof ClusterError) {
      io.err(`registry-prune: ${error.part}: ${e.message}; nothing was deleted`);
      return 2;
    }
    io.err(`registry-prune: ${e.message.replace(/^error: /, "")}${advice}`);
    return 2;
  }
}

if (require.main === module) {
  const io: Io = {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    env: process.env,
  };
  main(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  });
}
