/**
 * The registry Deployment that the prod stack declares, run for real: its env (secrets resolved from the
 * declared Secrets), its mounted htpasswd, its security context, the credentials generated under mocks.
 * Only the listen addresses (rebound to free ports on 127.0.0.1) and the S3 endpoint (moto on loopback
 * instead of MinIO) differ. It runs as Distribution 2.8 (Debian's build) and as 3.1 (built from the Go
 * module proxy), each declared with that version's image settings.
 */
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { evaluate, Evaluation, find, stackConfig, TYPES } from "../harness";
import { RunningRegistry, startDeclaredRegistry, waitHealthy } from "./declaredRegistry";
import { buildSampleApp } from "./sampleApp";
import { basicAuth, docker, dockerOk, httpStatus, MotoServer, REGISTRY_VERSIONS, requireTestEnvironment, tempDir } from "./testEnv";
import { MANIFEST_ACCEPT } from "../../prune/mediaTypes";

const MANIFEST_TYPES = MANIFEST_ACCEPT;

function registrySettings(storage: "filesystem" | "s3", image: string) {
  // Plain HTTP here: the mocks' certificates are not real ones (tls.int.test.ts runs the registry over TLS).
  const registry = { ...(structuredClone(stackConfig("prod").registry) as Record<string, any>), image, tls: {} };
  return storage === "s3" ? registry : { ...registry, replicas: 1, storage: { type: "filesystem" } };
}

const CASES = REGISTRY_VERSIONS.flatMap((v) => (["filesystem", "s3"] as const).map((storage) => ({ ...v, storage })));

describe.each(CASES)("the declared prod registry $version with $storage storage", ({ storage, image, declared }) => {
  let prod: Evaluation;
  let moto: MotoServer | undefined;
  let s3: S3Client | undefined;
  let registry: RunningRegistry;
  let host: string;
  let auth: { Authorization: string };
  let user: string;
  let password: string;
  let bucket: string;
  let appImage: string;

  const api = (p: string, init: RequestInit = {}) => fetch(`http://${host}${p}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) }, signal: AbortSignal.timeout(10_000) });
  const digestOf = async (repo: string, ref: string) => (await api(`/v2/${repo}/manifests/${ref}`, { method: "HEAD", headers: { Accept: MANIFEST_TYPES } })).headers.get("docker-content-digest");

  beforeAll(async () => {
    await requireTestEnvironment();
    process.env.DOCKER_CONFIG = tempDir("docker-config");
    prod = await evaluate("prod", { overrides: { registry: registrySettings(storage, declared) } });
    user = String(prod.outputs.registryUsername);
    password = String(prod.outputs.registryPassword);
    auth = basicAuth(user, password);
    const deployment = find(prod.resources, TYPES.deployment, "registry-managed");
    const overrides: Record<string, string> = {};
    if (storage === "s3") {
      moto = await MotoServer.start();
      overrides.REGISTRY_STORAGE_S3_REGIONENDPOINT = moto.url;
      const env = Object.fromEntries(deployment.inputs.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
      bucket = env.REGISTRY_STORAGE_S3_BUCKET;
      const keys = find(prod.resources, TYPES.secret, "registry-managed-env").inputs.stringData;
      s3 = new S3Client({
        endpoint: moto.url,
        region: env.REGISTRY_STORAGE_S3_REGION,
        forcePathStyle: true,
        credentials: { accessKeyId: keys["s3-access-key"], secretAccessKey: keys["s3-secret-key"] },
      });
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }
    registry = await startDeclaredRegistry(prod, overrides, image);
    host = registry.host;
    appImage = await buildSampleApp();
  }, 300_000);

  afterAll(async () => {
    if (registry) {
      const logs = await docker(["logs", registry.container]);
      if (logs.stderr.includes(password)) throw new Error("the registry logged its password");
      await registry.stop();
    }
    s3?.destroy();
    await moto?.stop();
  });

  test("/v2/ answers 401 without credentials, 401 with a wrong password, 200 with the right one", async () => {
    expect(await httpStatus(`http://${host}/v2/`)).toBe(401);
    expect(await httpStatus(`http://${host}/v2/`, { headers: basicAuth(user, `${password}x`) })).toBe(401);
    expect(await httpStatus(`http://${host}/v2/`, { headers: auth })).toBe(200);
  });

  test("/debug/health answers on the probe port without credentials", async () => {
    expect(await httpStatus(registry.debugUrl)).toBe(200);
  });

  test("docker login, push and pull of the sample app; the catalog and tags show it", async () => {
    expect((await docker(["login", host, "-u", user, "--password-stdin"], password)).code).toBe(0);
    const target = `${host}/production/web:1.0.0`;
    await dockerOk(["tag", appImage, target]);
    const push = await dockerOk(["push", target]);
    const pushed = /digest: (sha256:[0-9a-f]{64})/.exec(push)?.[1];
    expect(pushed).toBeDefined();
    expect(await digestOf("production/web", "1.0.0")).toBe(pushed);
    await dockerOk(["rmi", target]);
    expect((await docker(["pull", target])).code).toBe(0);
    expect(await (await api("/v2/_catalog")).json()).toEqual({ repositories: ["production/web"] });
    expect(await (await api("/v2/production/web/tags/list")).json()).toEqual({ name: "production/web", tags: ["1.0.0"] });
  });

  test("a pull without logging in is refused", async () => {
    const anonymous = tempDir("docker-anon");
    const pull = await docker(["--config", anonymous, "pull", `${host}/production/web:1.0.0`]);
    expect(pull.code).not.toBe(0);
    expect(pull.stderr).toMatch(/no basic auth credentials|unauthorized/);
  });

  if (storage === "s3") {
    test("the blobs are in the bucket, under the declared root directory", async () => {
      const listed = await s3!.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "registry/docker/registry/v2/blobs/" }));
      const keys = (listed.Contents ?? []).map((o) => o.Key);
      const digest = (await digestOf("production/web", "1.0.0"))!.replace("sha256:", "");
      expect(keys).toContain(`registry/docker/registry/v2/blobs/sha256/${digest.slice(0, 2)}/${digest}/data`);
    });

    test("blobs are served by the registry itself, never a redirect to MinIO's address (which clients outside the cluster cannot reach)", async () => {
      const manifest = (await (await api("/v2/production/web/manifests/1.0.0", { headers: { Accept: MANIFEST_TYPES } })).json()) as { config: { digest: string } };
      const blob = await api(`/v2/production/web/blobs/${manifest.config.digest}`, { redirect: "manual" });
      expect({ status: blob.status, location: blob.headers.get("location") }).toEqual({ status: 200, location: null });
    });
  }

  test("delete by digest removes the manifest (deletes are enabled)", async () => {
    const target = `${host}/production/scratch:1`;
    await dockerOk(["tag", appImage, target]);
    await dockerOk(["push", target]);
    const digest = await digestOf("production/scratch", "1");
    expect(digest).toMatch(/^sha256:/);
    expect((await api(`/v2/production/scratch/manifests/${digest}`, { method: "DELETE" })).status).toBe(202);
    expect((await api(`/v2/production/scratch/manifests/1`, { method: "HEAD", headers: { Accept: MANIFEST_TYPES } })).status).toBe(404);
    expect((await api(`/v2/production/web/manifests/1.0.0`, { method: "HEAD", headers: { Accept: MANIFEST_TYPES } })).status).toBe(200);
  });

  test("after a restart the images are still there", async () => {
    const before = await digestOf("production/web", "1.0.0");
    await dockerOk(["restart", registry.container]);
    await waitHealthy(registry);
    expect(await digestOf("production/web", "1.0.0")).toBe(before);
    await dockerOk(["rmi", `${host}/production/web:1.0.0`]);
    expect((await docker(["pull", `${host}/production/web:1.0.0`])).code).toBe(0);
  });
});
