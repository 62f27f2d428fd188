/**
 * registry-prune --in-use-from-cluster against the real registry, with a real control plane (etcd,
 * kube-apiserver, kube-controller-manager, KWOK) holding the workloads: a Deployment whose previous
 * ReplicaSet runs an old digest, a suspended CronJob by tag, a suspended Job through another host name of
 * the registry. An unreachable cluster deletes nothing.
 */
import * as fs from "fs";
import * as path from "path";
import { requireClusterTools, TOOLS_DIR } from "../e2e/harness";
import { prune } from "./pruneCli";
import { FixtureWriter } from "./registryFixtures";
import { RunningRegistry, startPlainRegistry } from "./plainRegistry";
import { eventually, freePort, REPO_ROOT, requireTestEnvironment, run, tempDir } from "./testEnv";

const ALIAS = "registry-managed.container-registry.svc:5000";

describe("registry-prune --in-use-from-cluster", () => {
  let registry: RunningRegistry;
  let cluster: string;
  let kubeconfig: string;
  const digests: Record<string, string> = {};

  const kubectl = async (args: string[], input?: string) => {
    const ran = await run(path.join(TOOLS_DIR, "kubectl"), ["--kubeconfig", kubeconfig, ...args], { input });
    if (ran.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${ran.stderr}`);
    return ran.stdout;
  };
  const tags = async (repo: string) => ((await (await fetch(`http://${registry.host}/v2/${repo}/tags/list`)).json()) as { tags: string[] | null }).tags?.sort() ?? [];
  const deployment = (digest: string, history: number) =>
    JSON.stringify({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "production" },
      spec: {
        replicas: 1,
        revisionHistoryLimit: history,
        selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: `${registry.host}/production/web@${digest}` }] } },
      },
    });

  beforeAll(async () => {
    await requireTestEnvironment();
    requireClusterTools();
    registry = await startPlainRegistry({ deletes: true });
    const writer = new FixtureWriter(`http://${registry.host}`);
    for (const [i, tag] of ["v0", "v1", "v2", "v3", "v4"].entries()) digests[tag] = (await writer.image("production/web", tag, { seed: tag, created: new Date(2025, 0, i + 1) })).digest;
    for (const [i, tag] of ["a1", "a2"].entries()) digests[tag] = (await writer.image("production/api", tag, { seed: tag, created: new Date(2025, 1, i + 1) })).digest;

    // A control plane of its own, on free ports, beside any other the suite runs.
    cluster = tempDir("in-use-cluster");
    const ports = { E2E_API_PORT: await freePort(), E2E_ETCD_PORT: await freePort(), E2E_ETCD_PEER_PORT: await freePort(), E2E_KCM_PORT: await freePort(), E2E_SCHED_PORT: await freePort() };
    const env = { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
    const up = await run("bash", [path.join(REPO_ROOT, "scripts/test-env/control-plane.sh"), "up", TOOLS_DIR, cluster], { env, timeoutMs: 240_000 });
    if (up.code !== 0) throw new Error(`control-plane.sh up: ${up.stderr}`);
    kubeconfig = path.join(cluster, "kubeconfig");

    await kubectl(["create", "namespace", "production"]);
    await kubectl(["apply", "-f", "-"], deployment(digests.v1, 10));
    await eventually("the first rollout", async () => ((await kubectl(["-n", "production", "get", "rs", "-o", "name"])).trim().split("\n").filter(Boolean).length === 1 ? true : undefined));
    await kubectl(["apply", "-f", "-"], deployment(digests.v2, 10));
    await eventually("the second ReplicaSet", async () => ((await kubectl(["-n", "production", "get", "rs", "-o", "name"])).trim().split("\n").filter(Boolean).length === 2 ? true : undefined));
    const batch = (kind: "CronJob" | "Job", name: string, image: string) => {
      const pod = { template: { spec: { restartPolicy: "Never", containers: [{ name, image }] } } };
      return JSON.stringify(
        kind === "CronJob"
          ? { apiVersion: "batch/v1", kind, metadata: { name, namespace: "production" }, spec: { schedule: "0 3 1 * *", suspend: true, jobTemplate: { spec: pod } } }
          : { apiVersion: "batch/v1", kind, metadata: { name, namespace: "production" }, spec: { suspend: true, ...pod } },
      );
    };
    await kubectl(["apply", "-f", "-"], batch("CronJob", "monthly", `${registry.host}/production/web:v0`));
    await kubectl(["apply", "-f", "-"], batch("Job", "migrate", `${ALIAS}/production/api@${digests.a1}`));
  }, 600_000);

  afterAll(async () => {
    if (cluster) await run("bash", [path.join(REPO_ROOT, "scripts/test-env/control-plane.sh"), "down", cluster]);
    await registry?.stop();
  });

  const inUsePrune = (extra: string[]) =>
    prune(["--registry", `http://${registry.host}`, "--keep", "1", "--in-use-from-cluster", "--kubeconfig", kubeconfig, "--in-use-host", ALIAS, "--json", ...extra]);
  const whyOf = (report: { plan: { repo: string; tag: string; action: string; why: string }[] }, repo: string, tag: string) => {
    const entry = report.plan.find((e) => e.repo === repo && e.tag === tag);
    return entry && `${entry.action}: ${entry.why}`;
  };

  test("keeps the previous ReplicaSet's digest, the suspended CronJob's tag and a Job's digest named through another host; deletes the rest", async () => {
    const ran = await inUsePrune(["--yes"]);
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: "" });
    const report = JSON.parse(ran.stdout);
    expect(whyOf(report, "production/web", "v4")).toBe("keep: newest 1 of 1");
    expect(whyOf(report, "production/web", "v2")).toBe("keep: in use by production/deployment/web");
    expect(whyOf(report, "production/web", "v1")).toMatch(/^keep: in use by production\/deployment\/web \(ReplicaSet web-[a-z0-9]+, revision 1\)$/);
    expect(whyOf(report, "production/web", "v0")).toBe("keep: in use by production/cronjob/monthly");
    expect(whyOf(report, "production/web", "v3")).toBe("delete-manifest: older than the 1 newest (rank 2)");
    expect(whyOf(report, "production/api", "a1")).toBe("keep: in use by production/job/migrate");
    expect(report.summary).toMatchObject({ tagsDeleted: 1, tagsKeptInUse: 4 });
    expect(await tags("production/web")).toEqual(["v0", "v1", "v2", "v4"]);
    expect(await tags("production/api")).toEqual(["a1", "a2"]);
  });

  test("once the Deployment's history is trimmed, the old digest goes; the CronJob's stays", async () => {
    await kubectl(["apply", "-f", "-"], deployment(digests.v2, 0));
    await eventually("the old ReplicaSet's removal", async () => ((await kubectl(["-n", "production", "get", "rs", "-o", "name"])).trim().split("\n").filter(Boolean).length === 1 ? true : undefined));
    const ran = await inUsePrune(["--yes"]);
    expect(ran.code).toBe(0);
    expect(whyOf(JSON.parse(ran.stdout), "production/web", "v1")).toBe("delete-manifest: older than the 1 newest (rank 3)");
    expect(await tags("production/web")).toEqual(["v0", "v2", "v4"]);
    // Without --json, the same counts in the one line a person greps the log for.
    const text = await prune(["--registry", `http://${registry.host}`, "--keep", "1", "--in-use-from-cluster", "--kubeconfig", kubeconfig, "--in-use-host", ALIAS]);
    expect(text.stdout).toContain("Kept because the cluster uses them: 3 tag(s).");
  });

  test("an unreachable cluster deletes nothing: exit 2 with one line", async () => {
    const closed = path.join(tempDir("closed-kubeconfig"), "kubeconfig");
    fs.writeFileSync(closed, fs.readFileSync(kubeconfig, "utf8").replace(/server: "https:\/\/127\.0\.0\.1:\d+"/, `server: "https://127.0.0.1:${await freePort()}"`));
    const before = await tags("production/web");
    const ran = prune(["--registry", `http://${registry.host}`, "--keep", "1", "--in-use-from-cluster", "--kubeconfig", closed, "--yes"]);
    const result = await ran;
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^registry-prune: in-use protection: cannot list Deployments in every namespace at https:\/\/127\.0\.0\.1:\d+: .*; nothing was deleted\n$/);
    expect(result.stdout).toBe("");
    expect(await tags("production/web")).toEqual(before);
  });

  test.each([["container-registry"], ["a/b/c"], ["Container/x"], ["ns/$(JOB_NAME)"]])("--wait-turn %s (not namespace/job) is a usage error", async (value) => {
    const ran = await prune(["--registry", `http://${registry.host}`, "--keep", "1", "--wait-turn", value]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain("must be namespace/job, each a DNS label");
  });

  test("--kubeconfig without --in-use-from-cluster is a usage error", async () => {
    const ran = await prune(["--registry", `http://${registry.host}`, "--keep", "1", "--kubeconfig", kubeconfig]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain("--kubeconfig needs --in-use-from-cluster or --wait-turn");
  });
});
