import { digestGuard } from "./digestGuard";
import type { ScanSettings } from "../config/appsSchema";
import { caTrustLines } from "./caTrust";

/**
 * The vulnerability gate, run by a local Command after the push: Trivy scans the pushed digest straight
 * from the registry (`--image-src remote`: no Docker daemon), with the push credentials in a private
 * temporary DOCKER_CONFIG (never on a command line) and the accepted findings in a temporary ignore file.
 * All severities are scanned, so the summary counts them all; findings at or above the threshold fail the
 * update, with Trivy's table (library, ID, severity, status, installed, fixed, title) on stderr. On
 * success stdout is the summary, one JSON object.
 * Inputs come in the environment: IMAGE_DIGEST_REF, SCAN_IGNORE (the ignore file), REGISTRY_DOCKER_CONFIG,
 * and REGISTRY_CA for a registry with a private CA (caTrustLines).
 */
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
export function trivyIgnoreFile(ignore: ScanSettings["ignore"]): string {
  return JSON.stringify({ vulnerabilities: ignore.map(({ id, reason }) => ({ id, statement: reason })) });
}

export function scanScript(settings: ScanSettings, options: { insecureRegistry: boolean }): string {
  const trivy = quote(settings.trivy);
  const common = [
    ...(settings.cacheDir ? ["--cache-dir", quote(settings.cacheDir)] : []),
    ...(settings.dbRepository ? ["--db-repository", quote(settings.dbRepository)] : []),
    ...(settings.offline ? ["--skip-db-update", "--offline-scan"] : []),
  ].join(" ");
  const scan = [
    trivy,
    "image --quiet --image-src remote --scanners vuln",
    ...(options.insecureRegistry ? ["--insecure"] : []),
    ...(settings.ignoreUnfixed ? ["--ignore-unfixed"] : []),
    common,
    '--ignorefile "$work/ignore.yaml" --format json --output "$work/report.json" "$IMAGE_DIGEST_REF"',
  ]
    .filter(Boolean)
    .join(" ");
  const severity = quote(settings.severity);
  return [
    "set -eu",
    `command -v ${trivy} >/dev/null 2>&1 || { echo "images.scan is enabled but trivy ("${trivy}") is not on the machine running pulumi up: ${TRIVY_INSTALL_HINT}" >&2; exit 127; }`,
    digestGuard("scan"),
    "work=$(mktemp -d)",
    "trap 'rm -rf \"$work\"' EXIT",
    "umask 077",
    'if [ -n "${REGISTRY_DOCKER_CONFIG:-}" ]; then printf %s "$REGISTRY_DOCKER_CONFIG"; else echo "{}"; fi > "$work/config.json"',
    'printf %s "$SCAN_IGNORE" > "$work/ignore.yaml"',
    ...caTrustLines(),
    `DOCKER_CONFIG="$work" ${scan}`,
    `if ! ${trivy} convert --quiet --format table --table-mode detailed --severity ${severity} --exit-code 1 "$work/report.json" >&2; then`,
    `  echo "vulnerability gate: $IMAGE_DIGEST_REF has findings of severity ${settings.severity}, listed above: upgrade the packages, or accept each in images.scan.ignore with a reason" >&2`,
    "  exit 1",
    "fi",
    `${trivy} convert --quiet --format template --template ${quote(SUMMARY_TEMPLATE)} "$work/report.json"`,
  ].join("\n");
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
