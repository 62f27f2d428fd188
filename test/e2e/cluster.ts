/**
 * The cluster side of the e2e harness. KWOK marks pods Running and Ready but runs nothing, so the harness
 * plays the kubelet for the pods that matter, from what the cluster holds: the registry pod (the real
 * registry, in Docker on 127.0.0.1:32000, the NodePort) while `pulumi up` runs, and each app pod after it
 * (`docker run` of the deployed digest, pulled with the namespace's pull Secret). ClusterIPs and pod IPs
 * are fake private-range addresses: nothing here ever connects to them.
 */
import * as fs from "fs";
import * as path from "path";
import { Recorded, TYPES } from "../recorded";
import { declaredRunArgs, DOCKER, dockerOk, eventually, freePort, httpStatus, REGISTRY_TEST_IMAGE, removeContainer, run, tempDir } from "../integration/testEnv";

export const REGISTRY_NODE_PORT = 32000;

export class Kubectl {
  constructor(readonly binary: string, readonly kubeconfig: string) {}

  async json(args: string[]): Promise<any> {
    const result = await run(this.binary, [...args, "-o", "json"], { env: { ...process.env, KUBECONFIG: this.kubeconfig } });
    if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr.trim()}`);
    return JSON.parse(result.stdout);
  }

  /** A command whose output does not matter, only that it worked. */
  async ok(args: string[]): Promise<void> {
    const result = await run(this.binary, args, { env: { ...process.env, KUBECONFIG: this.kubeconfig } });
    if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr.trim()}`);
  }

  /** A command's standard output; `input` goes to its standard input (`apply -f -`). */
  async text(args: string[], input?: string): Promise<string> {
    const result = await run(this.binary, args, { env: { ...process.env, KUBECONFIG: this.kubeconfig }, ...(input !== undefined ? { input } : {}) });
    if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr.trim()}`);
    return result.stdout;
  }

  async items(kind: string, namespace?: string): Promise<any[]> {
    return (await this.json(["get", kind, ...(namespace ? ["-n", namespace] : ["-A"])])).items;
  }

  /** Our namespaces: every one but Kubernetes' own. */
  async namespaces(): Promise<string[]> {
    return (await this.items("namespaces")).map((n) => n.metadata.name).filter((n: string) => !/^(default|kube-.*)$/.test(n));
  }
}

/** A live object in the shape `declaredRunArgs` reads (a recorded resource), Secrets decoded. */
function asRecorded(object: any): Recorded {
  const stringData = object.kind === "Secret" ? Object.fromEntries(Object.entries<string>(object.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString()])) : undefined;
  return {
    type: object.kind === "Secret" ? TYPES.secret : TYPES.deployment,
    name: object.metadata.name,
    inputs: { metadata: object.metadata, spec: object.spec, stringData },
  } as unknown as Recorded;
}

const firstContainer = (deployment: any) => deployment.spec.template.spec.containers[0];
/** 20 s of polling. */
const MISSING_SECRET_TICKS = 40;

/** The Secrets a pod template names: secret volumes and secretKeyRef env. */
function referencedSecrets(deployment: any): string[] {
  const pod = deployment.spec.template.spec;
  const fromVolumes = (pod.volumes ?? []).flatMap((v: any) => (v.secret ? [v.secret.secretName] : []));
  const fromEnv = firstContainer(deployment).env?.flatMap((e: any) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [])) ?? [];
  return [...new Set<string>([...fromVolumes, ...fromEnv])];
}
const isRegistry = (deployment: any) => /(^|\/)registry:/.test(firstContainer(deployment).image);

interface RunningPod {
  key: string;
  container: string;
}

/**
 * Runs the real registry for every registry Deployment the cluster holds, with the Deployment's own env,
 * Secrets, mounts and security context; restarts it when the pod template or its Secrets change, stops
 * it when the Deployment goes. Cluster addresses the pod would reach are mapped to loopback services
 * (`endpoints`, e.g. the MinIO Service to moto).
 */
export class RegistryPodPlayer {
  private readonly running = new Map<string, RunningPod>();
  private readonly volumeDirs = new Map<string, Record<string, string>>();
  /** Ticks each Deployment has waited for a Secret it names. */
  private readonly waiting = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  readonly errors: string[] = [];

  constructor(private readonly kubectl: Kubectl, private readonly endpoints: Record<string, string>) {}

  start(): void {
    const tick = async () => {
      try {
        await this.reconcile();
      } catch (error) {
        this.errors.push(String(error));
      }
      if (!this.stopped) this.timer = setTimeout(tick, 500);
    };
    void tick();
  }

  /** What the registry containers running now have logged (their access log included). */
  async logs(): Promise<string> {
    const logs = await Promise.all([...this.running.values()].map(async (pod) => {
      const r = await run(DOCKER, ["logs", pod.container]);
      return r.stdout + r.stderr;
    }));
    return logs.join("\n");
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const pod of this.running.values()) await removeContainer(pod.container);
    this.running.clear();
  }

  private async reconcile(): Promise<void> {
    // One registry answers on the NodePort, as the Service routes it: the newest Deployment (a namespace
    // move creates the new one before the old one goes).
    const all = (await this.kubectl.items("deployments")).filter(isRegistry);
    const live = all.filter((d) => !d.metadata.deletionTimestamp).sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)));
    const deployments = live.length > 0 ? live.slice(0, 1) : all;
    // The others stop first: the NodePort is one port, and the new registry must be able to bind it.
    const serving = new Set(deployments.map((d) => `${d.metadata.namespace}/${d.metadata.name}`));
    for (const [id, pod] of this.running) {
      if (!serving.has(id)) {
        await removeContainer(pod.container);
        this.running.delete(id);
      }
    }
    const secrets = (await this.kubectl.items("secrets")).map(asRecorded);
    for (const deployment of deployments) {
      const id = `${deployment.metadata.namespace}/${deployment.metadata.name}`;
      // A Deployment being deleted keeps its pod (if it runs) until it is gone, as a kubelet would.
      if (deployment.metadata.deletionTimestamp) continue;
      const own = secrets.filter((s) => s.inputs.metadata.namespace === deployment.metadata.namespace);
      // Two list calls are not one snapshot: a Secret replaced in between is missing for a moment. The kubelet
      // would wait for it too; only a reference that stays missing is an error.
      const missing = referencedSecrets(deployment).filter((name) => !own.some((s) => s.name === name));
      if (missing.length > 0) {
        const waited = (this.waiting.get(id) ?? 0) + 1;
        this.waiting.set(id, waited);
        if (waited === MISSING_SECRET_TICKS) this.errors.push(`${id} names Secret(s) ${missing.join(", ")} that never appeared`);
        continue;
      }
      this.waiting.delete(id);
      // The whole template, as a rollout goes: a changed annotation (the GC switch, read through the downward API) restarts it too.
      const key = JSON.stringify([deployment.spec.template, own.map((s) => [s.name, s.inputs.stringData])]);
      if (this.running.get(id)?.key === key) continue;
      await this.replace(id, deployment, own, key);
    }
  }

  private async replace(id: string, deployment: any, secrets: Recorded[], key: string): Promise<void> {
    const old = this.running.get(id);
    if (old) await removeContainer(old.container);
    const debugPort = await freePort();
    const env = Object.fromEntries((firstContainer(deployment).env ?? []).filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
    const overrides: Record<string, string> = { REGISTRY_HTTP_ADDR: `127.0.0.1:${REGISTRY_NODE_PORT}`, REGISTRY_HTTP_DEBUG_ADDR: `127.0.0.1:${debugPort}` };
    if (env.REGISTRY_STORAGE_S3_REGIONENDPOINT) overrides.REGISTRY_STORAGE_S3_REGIONENDPOINT = this.endpointFor(env.REGISTRY_STORAGE_S3_REGIONENDPOINT);
    if (!this.volumeDirs.has(id)) this.volumeDirs.set(id, {});
    const declared = declaredRunArgs(asRecorded(deployment), secrets, { image: REGISTRY_TEST_IMAGE, overrides, volumeDirs: this.volumeDirs.get(id) });
    Object.assign(this.volumeDirs.get(id)!, declared.volumeDirs);
    await dockerOk(declared.args);
    this.running.set(id, { key, container: declared.name });
    const health = `http://127.0.0.1:${debugPort}/debug/health`;
    // 60 s: a registry on S3 starts in about a second, but a loaded machine can stretch that a lot.
    await eventually(`the registry for ${id}`, async () => ((await httpStatus(health)) === 200 ? true : undefined), 240);
  }

  private endpointFor(url: string): string {
    const host = new URL(url).host;
    const mapped = this.endpoints[host];
    if (!mapped) throw new Error(`the registry pod reaches ${url}, which the harness does not serve on loopback`);
    return mapped;
  }
}

export interface AppPod {
  container: string;
  /** `http://127.0.0.1:<port>` */
  url: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Runs one app Deployment's pod as the kubelet would: pulls its image with the namespace's pull Secret
 * (when it names one), then `docker run` with the resolved env (secretKeyRef from the cluster's
 * Secrets), the security context, and the probes' port on 127.0.0.1.
 */
export async function runAppPod(kubectl: Kubectl, namespace: string, deploymentName: string): Promise<AppPod> {
  const deployment = await kubectl.json(["get", "deployment", "-n", namespace, deploymentName]);
  const secrets = (await kubectl.items("secrets", namespace)).map(asRecorded);
  const pod = deployment.spec.template.spec;
  const container = firstContainer(deployment);
  const config = tempDir("pull-config");
  try {
    for (const ref of pod.imagePullSecrets ?? []) {
      const pull = secrets.find((s) => s.name === ref.name);
      if (!pull) throw new Error(`imagePullSecrets names ${ref.name}, which ${namespace} does not hold`);
      fs.writeFileSync(path.join(config, "config.json"), pull.inputs.stringData[".dockerconfigjson"]);
    }
    const pulled = await run(DOCKER, ["--config", config, "pull", container.image]);
    if (pulled.code !== 0) throw new Error(`pulling ${container.image} with ${namespace}'s pull Secret: ${pulled.stderr.trim()}`);
  } finally {
    fs.rmSync(config, { recursive: true, force: true });
  }
  const port = container.ports?.[0]?.containerPort ?? 8080;
  const declared = declaredRunArgs(asRecorded(deployment), secrets, { image: container.image, overrides: { HOST: "127.0.0.1", PORT: String(port) } });
  await dockerOk(declared.args);
  const url = `http://127.0.0.1:${port}`;
  return { container: declared.name, url, env: declared.env, stop: () => removeContainer(declared.name) };
}

/** Waits until every HTTP probe of the Deployment's container answers 200 on loopback. */
export async function probesPass(deployment: any, url: string): Promise<string[]> {
  const container = firstContainer(deployment);
  const paths = [container.livenessProbe, container.readinessProbe].map((p: any) => p?.httpGet?.path).filter(Boolean);
  for (const probePath of paths) await eventually(`probe ${probePath}`, async () => ((await httpStatus(`${url}${probePath}`)) === 200 ? true : undefined), 80);
  return paths;
}
