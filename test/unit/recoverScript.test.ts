import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stackLabelValue } from "../../lib/stackLabel";
import { ROOT } from "../harness";

interface Cluster {
  /** kubectl resource name (as recover.sh asks for it) to the ids `get` lists with the selector. */
  listed: Record<string, string[]>;
  /** A resource whose listing fails. */
  failing?: string;
}

/**
 * Runs scripts/recover.sh with stand-ins: pulumi answers `stack export` with `state` and logs the rest;
 * kubectl lists `cluster.listed` for the stack's selector and logs deletes.
 */
function recover(stack: string, state: unknown, cluster: Cluster) {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "recover-bin-"));
  const log = path.join(bin, "calls.log");
  fs.writeFileSync(path.join(bin, "state.json"), JSON.stringify({ deployment: state }));
  fs.writeFileSync(path.join(bin, "cluster.json"), JSON.stringify(cluster));
  fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\necho "pulumi $*" >> "${log}"\ncase "$1 $2" in "stack export") cat "${bin}/state.json";; esac\n`, { mode: 0o755 });
  // kubectl get KIND [-A] -l SELECTOR -o jsonpath=...: the listed ids, one per line, when the selector is this stack's.
  fs.writeFileSync(
    path.join(bin, "kubectl"),
    `#!/usr/bin/env node
const fs = require("fs");
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, "kubectl " + args.join(" ") + "\\n");
const cluster = JSON.parse(fs.readFileSync(${JSON.stringify(path.join(bin, "cluster.json"))}, "utf8"));
if (args[0] === "get") {
  if (args[1] === cluster.failing) { console.error("error: the server could not find the requested resource"); process.exit(1); }
  const selector = args[args.indexOf("-l") + 1];
  if (selector !== "microk8s-pipeline/stack=${stackLabelValue(stack)},app.kubernetes.io/managed-by=pulumi") process.exit(0);
  for (const id of cluster.listed[args[1]] ?? []) console.log(id);
}
`,
    { mode: 0o755 },
  );
  for (const tool of ["node", "grep", "sha256sum", "cut", "cat", "dirname"]) {
    fs.symlinkSync(execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim(), path.join(bin, tool));
  }
  const result = spawnSync("/bin/bash", [path.join(ROOT, "scripts", "recover.sh"), stack], { env: { PATH: bin, HOME: bin }, encoding: "utf8" });
  const calls = fs.readFileSync(log, "utf8").trim().split("\n");
  fs.rmSync(bin, { recursive: true, force: true });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, calls };
}

const resource = (type: string, id: string) => ({ urn: `urn:pulumi:prod::microk8s-pipeline::${type}::${id}`, type, id });
const STATE = {
  resources: [
    resource("kubernetes:core/v1:Namespace", "production"),
    resource("kubernetes:apps/v1:Deployment", "production/app-web-1234abcd"),
    resource("kubernetes:core/v1:PersistentVolumeClaim", "container-registry/registry-managed-data-5678"),
    resource("command:local:Command", "production/not-a-kubernetes-object"),
  ],
};

describe("scripts/recover.sh: what a killed create left outside the state", () => {
  test("deletes this stack's stateless objects the state does not hold, and nothing the state holds", () => {
    const run = recover("prod", STATE, {
      listed: {
        "deployments.apps": ["production/app-web-1234abcd", "production/app-web-99990000"],
        secrets: ["production/app-web-secrets-0000aaaa"],
        // Same name as a non-Kubernetes resource's id: still not a Kubernetes object of the state.
        services: ["production/not-a-kubernetes-object"],
      },
    });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
    expect(run.calls.filter((c) => c.startsWith("kubectl delete"))).toEqual([
      "kubectl delete deployments.apps app-web-99990000 -n production --wait=false",
      "kubectl delete services not-a-kubernetes-object -n production --wait=false",
      "kubectl delete secrets app-web-secrets-0000aaaa -n production --wait=false",
    ]);
    expect(run.stdout).toContain("recover: deleting deployments.apps production/app-web-99990000: this stack made it as the update was killed, and the state does not hold it");
    expect(run.stdout).toContain("recover: prod has no pending operation left");
  });

  test("asks only for objects with this stack's label, in every kind the program makes", () => {
    const run = recover("prod", STATE, { listed: {} });
    const listed = run.calls.filter((c) => c.startsWith("kubectl get")).map((c) => c.split(" ")[2]);
    expect(listed).toEqual([
      "deployments.apps",
      "daemonsets.apps",
      "services",
      "secrets",
      "configmaps",
      "cronjobs.batch",
      "serviceaccounts",
      "networkpolicies.networking.k8s.io",
      "poddisruptionbudgets.policy",
      "roles.rbac.authorization.k8s.io",
      "rolebindings.rbac.authorization.k8s.io",
      "persistentvolumeclaims",
      "validatingadmissionpolicybindings.admissionregistration.k8s.io",
      "validatingadmissionpolicies.admissionregistration.k8s.io",
      "namespaces",
    ]);
    expect(run.calls.filter((c) => c.startsWith("kubectl get")).every((c) => c.includes("-l microk8s-pipeline/stack=prod,app.kubernetes.io/managed-by=pulumi"))).toBe(true);
  });

  test("keeps a claim or a namespace the state does not hold (they may hold images), naming the command that would remove it", () => {
    const run = recover("prod", STATE, {
      listed: { persistentvolumeclaims: ["container-registry/registry-managed-data-5678", "container-registry/registry-managed-data-9999"], namespaces: ["production", "staging"] },
    });
    expect(run.code).toBe(0);
    expect(run.calls.filter((c) => c.startsWith("kubectl delete"))).toEqual([]);
    expect(run.stdout).toContain(
      "recover: kept persistentvolumeclaims container-registry/registry-managed-data-9999, which the state does not hold (it may hold images): once you know it holds none, remove it with: kubectl -n container-registry delete persistentvolumeclaims registry-managed-data-9999",
    );
    expect(run.stdout).toContain("recover: kept namespaces staging, which the state does not hold (it may hold images): once you know it holds none, remove it with: kubectl delete namespaces staging");
    expect(run.stdout).not.toMatch(/kept \w+ (production|container-registry\/registry-managed-data-5678),/);
  });

  test("a listing that fails stops the recovery with kubectl's error; it is never taken for no object", () => {
    const run = recover("prod", STATE, { listed: { secrets: ["production/orphan"] }, failing: "services" });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("the server could not find the requested resource");
    expect(run.calls.filter((c) => c.startsWith("kubectl delete"))).toEqual([]);
    expect(run.stdout).not.toContain("no pending operation left");
  });

  test.each(["prod", "team-a.prod_2", "prod_", "-dev", "x".repeat(63), "x".repeat(64)])(
    "looks objects up by the label value the program gives them: %s",
    (stack) => {
      const script = `. ${path.join(ROOT, "scripts", "lib", "stack-label.sh")}; stack_label_value "$1"`;
      expect(execFileSync("/bin/bash", ["-c", script, "bash", stack], { encoding: "utf8" }).trim()).toBe(stackLabelValue(stack));
    },
  );
});
