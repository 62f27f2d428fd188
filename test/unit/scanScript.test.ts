import { execFileSync, spawnSync } from "child_process";
import { existsSync } from "fs";
import { scanSchema } from "../../config/appsSchema";
import { parseScanSummary, scanScript, trivyIgnoreFile } from "../../lib/scanScript";

describe("the scan gate's pure parts", () => {
  test("the ignore file keeps each accepted finding's reason as Trivy's statement, and is YAML Trivy reads (JSON)", () => {
    const file = trivyIgnoreFile([{ id: "CVE-2026-1", reason: "not reachable: \"admin\" port only" }]);
    expect(JSON.parse(file)).toEqual({ vulnerabilities: [{ id: "CVE-2026-1", statement: 'not reachable: "admin" port only' }] });
  });

  test("the summary is the last line the script prints; anything else is a clear error", () => {
    expect(parseScanSummary('noise\n{"CRITICAL":0,"HIGH":2,"MEDIUM":1,"LOW":0,"UNKNOWN":0}\n')).toEqual({ CRITICAL: 0, HIGH: 2, MEDIUM: 1, LOW: 0, UNKNOWN: 0 });
    expect(() => parseScanSummary('{"HIGH":1}')).toThrow("the scan summary lacks CRITICAL");
  });

  test.each(["/opt/my tools/trivy'; touch /tmp/scan-pwned; '", "/opt/$(touch /tmp/scan-pwned)/trivy"])("a trivy path is quoted, never run as shell (%s): the gate says it is missing", (trivy) => {
    const settings = scanSchema.parse({ enabled: true, trivy });
    const script = scanScript(settings, { insecure: false });
    execFileSync("/bin/sh", ["-n", "-c", script]);
    const ran = spawnSync("/bin/sh", ["-c", script], { env: { PATH: "/usr/bin:/bin", IMAGE_DIGEST_REF: "r/a@sha256:" + "0".repeat(64), SCAN_IGNORE: "{}" }, encoding: "utf8" });
    expect(ran.status).toBe(127);
    expect(ran.stderr).toContain(`images.scan is enabled but trivy (${trivy}) is not on the machine running pulumi up`);
    expect(existsSync("/tmp/scan-pwned")).toBe(false);
  });

  test("refuses a reference that is not a digest", () => {
    const script = scanScript(scanSchema.parse({ enabled: true, trivy: "/bin/true" }), { insecure: true });
    const ran = spawnSync("/bin/sh", ["-c", script], { env: { PATH: "/usr/bin:/bin", IMAGE_DIGEST_REF: "r/a:latest", SCAN_IGNORE: "{}" }, encoding: "utf8" });
    expect(ran.status).toBe(1);
    expect(ran.stderr).toContain("refusing to scan r/a:latest: not a digest reference");
  });
});
