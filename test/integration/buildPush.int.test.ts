/**
 * What the docker provider would do with the inputs the prod stack declares: a real `docker build` from
 * the declared context, Dockerfile, args, target and platform (the base image swapped for the local one),
 * pushed with the computed tags to the declared registry; then the declared pull Secret used by skopeo
 * and Docker, as the kubelet would.
 */
import * as fs from "fs";
import * as path from "path";
import { evaluate, Evaluation, find, stackConfig, TYPES } from "../harness";
import { RunningRegistry, startDeclaredRegistry } from "./declaredRegistry";
import { withLocalNpm } from "./npmRegistry";
import { docker, dockerOk, NODE_BASE_IMAGE, requireTestEnvironment, run, tempDir } from "./testEnv";

const DECLARED_HOST = "localhost:32000";
const MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json";

describe("the declared image build, push and pull Secret", () => {
  let prod: Evaluation;
  let registry: RunningRegistry;
  let primary: string;
  let moving: string;
  let pushedDigest: string;
  let pullSecretConfig: string;

  const local = (ref: string) => ref.replace(DECLARED_HOST, registry.host);

  beforeAll(async () => {
    await requireTestEnvironment();
    process.env.DOCKER_CONFIG = tempDir("docker-config");
    prod = await evaluate("prod", { overrides: { registry: { mode: "managed", image: (stackConfig("prod").registry as { image: string }).image, auth: { username: "pipeline" } } } });
    registry = await startDeclaredRegistry(prod);
    const pull = find(prod.resources, TYPES.secret, "-registry-pull");
    const declared = JSON.parse(pull.inputs.stringData[".dockerconfigjson"]);
    // The same credentials, for the test registry's address instead of the declared one.
    pullSecretConfig = JSON.stringify({ auths: { [registry.host]: declared.auths[DECLARED_HOST] } });
  }, 300_000);

  afterAll(async () => {
    await registry?.stop();
  });

  test("the declared build inputs build, and push under the computed tags with one digest", async () => {
    const image = find(prod.resources, TYPES.image, "app-web-image").inputs;
    const extra = find(prod.resources, TYPES.localCommand, "-push-stable").inputs;
    primary = local(image.imageName);
    moving = local(extra.environment.TARGET_IMAGE);
    const buildArgs = Object.entries({ ...image.build.args, BASE_IMAGE: NODE_BASE_IMAGE }).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
    const target = image.build.target ? ["--target", image.build.target] : [];
    const platform = image.build.platform ? ["--platform", image.build.platform] : [];
    // The npm packages come from a loopback registry, handed over as the Dockerfile's `npmrc` secret.
    await withLocalNpm((npmSecret) =>
      dockerOk(["build", "--network", "host", ...npmSecret, ...platform, "-f", image.build.dockerfile, ...buildArgs, ...target, "-t", primary, image.build.context]),
    );
    const labels = JSON.parse(await dockerOk(["image", "inspect", "-f", "{{json .Config.Labels}}", primary]));
    expect(labels).toMatchObject({ "org.opencontainers.image.version": "1.0.0", "org.opencontainers.image.revision": image.build.args.REVISION });

    // Pushed as CI pushes, with the push user; pulled below with the pull Secret's user.
    const [username, password] = [String(prod.outputs.registryUsername), String(prod.outputs.registryPassword)];
    expect((await docker(["login", registry.host, "-u", username, "--password-stdin"], password)).code).toBe(0);
    pushedDigest = /digest: (sha256:[0-9a-f]{64})/.exec(await dockerOk(["push", primary]))?.[1] ?? "";
    expect(pushedDigest).toMatch(/^sha256:/);
    // The moving tag, pushed by the declared command's script through the daemon, with the declared
    // push credential (for this registry's address) in its environment.
    const declaredConfig = JSON.parse(extra.environment.REGISTRY_DOCKER_CONFIG);
    const tagged = await run("/bin/sh", ["-c", extra.create], {
      env: {
        ...process.env,
        SOURCE_IMAGE: primary,
        TARGET_IMAGE: moving,
        IMAGE_DIGEST_REF: `${primary.replace(/:[^:/]+$/, "")}@${pushedDigest}`,
        REGISTRY_DOCKER_CONFIG: JSON.stringify({ auths: { [registry.host]: declaredConfig.auths[DECLARED_HOST] } }),
      },
    });
    expect({ code: tagged.code, stderr: tagged.stderr }).toEqual({ code: 0, stderr: "" });
    expect(tagged.stdout).toContain(pushedDigest);

    const headers = { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`, Accept: MANIFEST_V2 };
    for (const ref of [primary, moving]) {
      const [, repo, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(ref) ?? [];
      const head = await fetch(`http://${registry.host}/v2/${repo}/manifests/${tag}`, { method: "HEAD", headers });
      expect({ tag, status: head.status, digest: head.headers.get("docker-content-digest") }).toEqual({ tag, status: 200, digest: pushedDigest });
    }
  });

  test("skopeo pulls with the declared dockerconfigjson and is refused without it", async () => {
    const dir = tempDir("pull-secret");
    const withSecret = path.join(dir, "config.json");
    fs.writeFileSync(withSecret, pullSecretConfig, { mode: 0o600 });
    const empty = path.join(dir, "empty.json");
    fs.writeFileSync(empty, JSON.stringify({ auths: {} }));
    const ref = `docker://${primary}`;
    // No fallback credentials: skopeo would otherwise also read the Docker login made above.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: tempDir("empty-home") };
    const skopeo = (authfile: string) => run("skopeo", ["inspect", "--tls-verify=false", "--authfile", authfile, ref], { env });

    const allowed = await skopeo(withSecret);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout).Digest).toBe(pushedDigest);

    const refused = await skopeo(empty);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/unauthorized|authentication required/i);
  });

  test("Docker pulls with the declared dockerconfigjson as its config, and not without", async () => {
    const withSecret = tempDir("docker-pull-secret");
    fs.writeFileSync(path.join(withSecret, "config.json"), pullSecretConfig, { mode: 0o600 });
    await docker(["rmi", "-f", primary, moving]);
    expect((await docker(["--config", withSecret, "pull", primary])).code).toBe(0);
    await docker(["rmi", "-f", primary]);
    const refused = await docker(["--config", tempDir("docker-no-secret"), "pull", primary]);
    expect(refused.code).not.toBe(0);
  });
});
