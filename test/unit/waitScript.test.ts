import { execFile } from "child_process";
import * as http from "http";
import type { AddressInfo } from "net";
import { basicAuthorization, waitForRegistryScript } from "../../lib/waitScript";
import { carrying, watchCmdlines } from "../cmdlineWatch";

function listen(status: number): Promise<http.Server> {
  const server = http.createServer((_req, res) => res.writeHead(status).end("{}"));
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** Async, so the in-process server can answer while the script runs. */
function runScript(script: string, env: NodeJS.ProcessEnv = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("/bin/sh", ["-c", script], { timeout: 30_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const status = error ? Number((error as NodeJS.ErrnoException & { code?: unknown }).code ?? 1) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}

describe("waitForRegistryScript", () => {
  test.each([200, 401])("succeeds when /v2/ answers %i", async (status) => {
    const server = await listen(status);
    try {
      const port = (server.address() as AddressInfo).port;
      const run = await runScript(waitForRegistryScript(`http://127.0.0.1:${port}`, 3, 1, "hint"));
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`answered ${status}`);
    } finally {
      server.close();
    }
  });

  test("fails with a clear message after the bounded attempts", async () => {
    const server = await listen(503);
    try {
      const port = (server.address() as AddressInfo).port;
      const run = await runScript(waitForRegistryScript(`http://127.0.0.1:${port}`, 2, 1, "Check the pods."));
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`registry http://127.0.0.1:${port}/v2/ did not answer 200 or 401 after 2 attempts 1s apart (last status: 503). Check the pods.`);
    } finally {
      server.close();
    }
  });

  test("authenticated, it waits for a registry that accepts $REGISTRY_AUTHORIZATION: 401 (old htpasswd) is not ready; the credential is on no command line", async () => {
    // Answers 401 until the new credential is live (the third request), as a restarting registry would; each
    // answer takes 300 ms, so the command-line watch sees every curl.
    let requests = 0;
    const server = http.createServer((req, res) => {
      requests++;
      const status = requests >= 3 && req.headers.authorization === `Basic ${Buffer.from("ci:new-pass").toString("base64")}` ? 200 : 401;
      setTimeout(() => res.writeHead(status).end("{}"), 300);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const script = waitForRegistryScript(`http://127.0.0.1:${port}`, 5, 1, "hint", { authenticated: true });
      expect(script).not.toContain("new-pass");
      const watch = watchCmdlines();
      const run = await runScript(script, { REGISTRY_AUTHORIZATION: basicAuthorization("ci", "new-pass") });
      const lines = await watch.stop();
      expect(run.status).toBe(0);
      expect(run.stdout).toContain("answered 200 after 3 attempt(s)");
      expect(lines.filter((l) => l.startsWith("curl ")).length).toBeGreaterThan(0);
      expect(carrying(lines, ["new-pass", basicAuthorization("ci", "new-pass").split(" ")[1]])).toEqual([]);
      const failed = await runScript(waitForRegistryScript(`http://127.0.0.1:${port}`, 2, 1, "hint", { authenticated: true }), { REGISTRY_AUTHORIZATION: basicAuthorization("ci", "old-pass") });
      expect(failed.status).toBe(1);
      expect(failed.stderr).toContain("did not answer 200 with the push credentials after 2 attempts");
    } finally {
      server.close();
    }
  });

  test("refuses a URL that is not http(s)://host[:port]", () => {
    expect(() => waitForRegistryScript("localhost:32000; rm -rf /", 1, 1, "")).toThrow("must be http(s)://host[:port]");
  });
});
