import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { lockedPackages, startLocalNpmRegistry, tarballName } from "../integration/npmRegistry";

describe("the loopback npm registry's view of a lockfile", () => {
  test("tarball names follow npm pack, scoped packages included", () => {
    expect(tarballName("prom-client", "15.1.3")).toBe("prom-client-15.1.3.tgz");
    expect(tarballName("@opentelemetry/api", "1.10.0")).toBe("opentelemetry-api-1.10.0.tgz");
  });

  test("every package the app's lockfile pins is listed with its version and integrity", () => {
    const packages = lockedPackages(path.join(__dirname, "..", "..", "app", "package-lock.json"));
    expect(packages.map((p) => p.name)).toContain("prom-client");
    for (const p of packages) expect(p).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), integrity: expect.stringMatching(/^sha512-/) });
  });

  test("nested copies keep their own name and version", () => {
    const lockfile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lock-")), "package-lock.json");
    const packages = {
      "": { name: "x" },
      "node_modules/a": { version: "2.0.0", integrity: "sha512-a2", dependencies: { b: "^1" } },
      "node_modules/a/node_modules/@s/b": { version: "1.0.0", integrity: "sha512-b1" },
    };
    fs.writeFileSync(lockfile, JSON.stringify({ lockfileVersion: 3, packages }));
    expect(lockedPackages(lockfile)).toEqual([
      { name: "a", version: "2.0.0", integrity: "sha512-a2", dependencies: { b: "^1" }, file: "a-2.0.0.tgz" },
      { name: "@s/b", version: "1.0.0", integrity: "sha512-b1", dependencies: {}, file: "s-b-1.0.0.tgz" },
    ]);
  });

  test("a tarball the setup did not fetch stops the build with the setup command", async () => {
    const lockfile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lock-")), "package-lock.json");
    const packages = { "": {}, "node_modules/not-fetched": { version: "0.0.1", integrity: "sha512-x" } };
    fs.writeFileSync(lockfile, JSON.stringify({ lockfileVersion: 3, packages }));
    await expect(startLocalNpmRegistry([lockfile])).rejects.toThrow(/not-fetched-0\.0\.1\.tgz\): run scripts\/test-env\/setup\.sh/);
  });
});
