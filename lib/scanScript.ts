/**
 * The vulnerability gate, run by a local Command after the push (lib/shell/scan.sh). On success stdout is
 * the summary, one JSON object. Inputs come in the environment: IMAGE_DIGEST_REF, SCAN_IGNORE (the ignore
 * file), REGISTRY_DOCKER_CONFIG, and REGISTRY_CA for a registry with a private CA.
 */
import { renderScript } from "./shellScript";

/** What the gate is told of images.scan (config/appsSchema.ts's ScanSettings has this shape). */
export interface ScanGate {
  /** The trivy binary. */
  trivy: string;
  /** Trivy's severity list: findings at these levels fail the gate. */
  severity: string;
  ignoreUnfixed: boolean;
  /** Accepted findings, each with its reviewer's reason. */
  ignore: { id: string; reason: string }[];
  cacheDir?: string;
  dbRepository?: string;
  offline: boolean;
}

export const TRIVY_INSTALL_HINT =
  "install Trivy v0.74.0 (https://trivy.dev/latest/getting-started/installation/, or " +
  "GOEXPERIMENT=jsonv2 go install github.com/aquasecurity/trivy/cmd/trivy@v0.74.0), set images.scan.trivy to its path, " +
  "or set images.scan.enabled to false";

/** Counts every finding by severity: Trivy's template engine (Go templates with sprig), over its JSON report. */
const SUMMARY_TEMPLATE =
  '{{- $c := dict "CRITICAL" 0 "HIGH" 0 "MEDIUM" 0 "LOW" 0 "UNKNOWN" 0 }}' +
  "{{- range . }}{{- range .Vulnerabilities }}{{- $_ := set $c .Severity (add (index $c .Severity) 1) }}{{- end }}{{- end }}" +
  "{{ toJson $c }}";

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/** Trivy's YAML ignore file, written as JSON (valid YAML): each accepted finding with its reason. */
export function trivyIgnoreFile(ignore: ScanGate["ignore"]): string {
  return JSON.stringify({ vulnerabilities: ignore.map(({ id, reason }) => ({ id, statement: reason })) });
}

export function scanScript(settings: ScanGate, options: { insecure: boolean }): string {
  const flags = [
    ...(options.insecure ? ["--insecure"] : []),
    ...(settings.ignoreUnfixed ? ["--ignore-unfixed"] : []),
    ...(settings.cacheDir ? ["--cache-dir", quote(settings.cacheDir)] : []),
    ...(settings.dbRepository ? ["--db-repository", quote(settings.dbRepository)] : []),
    ...(settings.offline ? ["--skip-db-update", "--offline-scan"] : []),
  ];
  return renderScript("scan", {
    TRIVY: quote(settings.trivy),
    INSTALL_HINT: TRIVY_INSTALL_HINT,
    DIGEST_GUARD: renderScript("digest-guard", { VERB: "scan" }),
    DOCKER_CONFIG: renderScript("docker-config"),
    CA_TRUST: renderScript("ca-trust"),
    SCAN_FLAGS: flags.map((flag) => ` ${flag}`).join(""),
    SEVERITY: quote(settings.severity),
    SEVERITY_NAME: settings.severity,
    SUMMARY_TEMPLATE: quote(SUMMARY_TEMPLATE),
  });
}

export type SeverityCounts = Record<"CRITICAL" | "HIGH" | "MEDIUM" | "LOW" | "UNKNOWN", number>;

/** The gate's stdout as counts; a clear error when it is not what the script prints. */
export function parseScanSummary(stdout: string): SeverityCounts {
  const counts = JSON.parse(stdout.trim().split("\n").pop() ?? "") as SeverityCounts;
  for (const key of ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"] as const) {
    if (typeof counts[key] !== "number") throw new Error(`the scan summary lacks ${key}: ${stdout.slice(0, 200)}`);
  }
  return counts;
}
