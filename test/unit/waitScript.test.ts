import { execFile } from "child_process";
import * as http from "http";
import type { AddressInfo } from "net";
import { waitForRegistryScript } from "../../lib/waitScript";

function listen(status: number): Promise<http.Server> {
  const server = http.createServer((_req, res) => res.writeHead(status).end("{}"));
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** Async, so the in-process server can answer while the script runs. */
function runScript(script: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("/bin/sh", ["-c", script], { timeout: 30_000 }, (error, stdout, stderr) => {
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

  test("refuses a URL that is not http(s)://host[:port]", () => {
    expect(() => waitForRegistryScript("localhost:32000; rm -rf /", 1, 1, "")).toThrow("must be http(s)://host[:port]");
  });
});
