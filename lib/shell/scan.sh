# shellcheck shell=sh
# The vulnerability gate: Trivy scans the pushed digest straight from the registry (no Docker daemon), with
# the push credentials in a private DOCKER_CONFIG and the accepted findings in an ignore file. Every
# severity is scanned so the summary counts them all; findings at or above the threshold fail, with Trivy's
# table on stderr. Filled by lib/scanScript.ts (the Trivy path and flags arrive quoted).
set -eu
command -v @@TRIVY@@ >/dev/null 2>&1 || { echo "images.scan is enabled but trivy ("@@TRIVY@@") is not on the machine running pulumi up: @@INSTALL_HINT@@" >&2; exit 127; }
@@DIGEST_GUARD@@
@@DOCKER_CONFIG@@
umask 077
printf %s "$SCAN_IGNORE" > "$work/ignore.yaml"
@@CA_TRUST@@
@@TRIVY@@ image --quiet --image-src remote --scanners vuln@@SCAN_FLAGS@@ --ignorefile "$work/ignore.yaml" --format json --output "$work/report.json" "$IMAGE_DIGEST_REF"
if ! @@TRIVY@@ convert --quiet --format table --table-mode detailed --severity @@SEVERITY@@ --exit-code 1 "$work/report.json" >&2; then
  echo "vulnerability gate: $IMAGE_DIGEST_REF has findings of severity @@SEVERITY_NAME@@, listed above: upgrade the packages, or accept each in images.scan.ignore with a reason" >&2
  exit 1
fi
# shellcheck disable=SC2016 # the summary template is Go's: its $ are Trivy's to expand
@@TRIVY@@ convert --quiet --format template --template @@SUMMARY_TEMPLATE@@ "$work/report.json"
