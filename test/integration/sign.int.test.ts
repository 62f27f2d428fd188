/**
 * The signing step for real: the script the program runs, with cosign built from the Go module proxy,
 * signs a digest pushed to the declared (authenticated) registry; cosign verifies it with the public key
 * and refuses an unsigned digest and a wrong key.
 */
import * as fs from "fs";
import * as path from "path";
import { FixtureWriter } from "./registryFixtures";
import { signScript } from "../../lib/signScript";
import { carrying, watchCmdlines } from "../cmdlineWatch";
import { evaluate, ROOT, stackConfig } from "../harness";
import { RunningRegistry, startDeclaredRegistry } from "./declaredRegistry";
import { basicAuth, requireTestEnvironment, run, SETUP_COMMAND, tempDir } from "./testEnv";

const COSIGN = path.join(ROOT, ".test-env", "bin", "cosign");

describe("signing with cosign against the declared registry", () => {
  let registry: RunningRegistry;
  let keys: string;
  let dockerConfig: string;
  let env: Record<string, string>;
  let signedRef: string;
  let unsignedRef: string;

  const cosign = (args: string[], extra: Record<string, string> = {}) => run(COSIGN, args, { env: { ...env, ...extra } });

  beforeAll(async () => {
    await requireTestEnvironment();
    if (!fs.existsSync(COSIGN)) throw new Error(`cosign is missing at ${COSIGN}: run ${SETUP_COMMAND}`);
    const prod = await evaluate("prod", { overrides: { registry: { mode: "managed", image: (stackConfig("prod").registry as { image: string }).image, auth: { username: "pipeline" } } } });
    registry = await startDeclaredRegistry(prod);
    // Signing writes to the registry: it runs with the push user, as the program's signing step does.
    const credentials = { username: String(prod.outputs.registryUsername), password: String(prod.outputs.registryPassword) };
    dockerConfig = JSON.stringify({ auths: { [registry.host]: credentials } });

    keys = tempDir("cosign-keys");
    env = { PATH: `${path.dirname(COSIGN)}:${process.env.PATH}`, HOME: tempDir("cosign-home"), COSIGN_PASSWORD: "key-password" };
    const generated = await run(COSIGN, ["generate-key-pair"], { env, cwd: keys, timeoutMs: 60_000 });
    if (generated.code !== 0) throw new Error(`cosign generate-key-pair: ${generated.stderr}`);

    const writer = new FixtureWriter(`http://${registry.host}`, basicAuth(credentials.username, credentials.password));
    const signed = await writer.image("production/web", "1.0.0", { seed: "signed", created: new Date("2025-01-01") });
    const unsigned = await writer.image("production/web", "1.0.1", { seed: "unsigned", created: new Date("2025-01-02") });
    signedRef = `${registry.host}/production/web@${signed.digest}`;
    unsignedRef = `${registry.host}/production/web@${unsigned.digest}`;
  }, 300_000);

  afterAll(async () => {
    await registry?.stop();
  });

  test("the program's signing script signs the pushed digest without a transparency log, with no credential on any command line", async () => {
    const watch = watchCmdlines();
    const result = await run("/bin/sh", ["-c", signScript({ insecure: true })], {
      env: {
        ...env,
        IMAGE_DIGEST_REF: signedRef,
        COSIGN_PRIVATE_KEY: fs.readFileSync(path.join(keys, "cosign.key"), "utf8"),
        REGISTRY_DOCKER_CONFIG: dockerConfig,
      },
    });
    const lines = await watch.stop();
    expect(result.stderr).not.toContain("key-password");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`signed ${signedRef}`);
    // cosign ran (the watch saw it), and neither the push password, the key nor its password was on its command line.
    expect(lines.some((l) => l.includes("cosign sign"))).toBe(true);
    const key = fs.readFileSync(path.join(keys, "cosign.key"), "utf8").split("\n")[1];
    expect(carrying(lines, [JSON.parse(dockerConfig).auths[registry.host].password, "key-password", key])).toEqual([]);
  });

  test("cosign verifies the signed digest with the public key, and refuses an unsigned one or a wrong key", async () => {
    const config = tempDir("verify-docker-config");
    fs.writeFileSync(path.join(config, "config.json"), dockerConfig, { mode: 0o600 });
    const verify = (ref: string, key: string) =>
      cosign(["verify", "--key", key, "--insecure-ignore-tlog=true", "--allow-http-registry", "--allow-insecure-registry", ref], { DOCKER_CONFIG: config });

    const ok = await verify(signedRef, path.join(keys, "cosign.pub"));
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)[0].critical.image["docker-manifest-digest"]).toBe(signedRef.split("@")[1]);

    const unsigned = await verify(unsignedRef, path.join(keys, "cosign.pub"));
    expect(unsigned.code).not.toBe(0);
    expect(unsigned.stderr).toMatch(/no signatures found|no matching signatures/i);

    const other = tempDir("other-keys");
    expect((await run(COSIGN, ["generate-key-pair"], { env, cwd: other })).code).toBe(0);
    const wrongKey = await verify(signedRef, path.join(other, "cosign.pub"));
    expect(wrongKey.code).not.toBe(0);
  });
});
