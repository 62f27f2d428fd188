#!/usr/bin/env bash
# Builds, from the Go module proxy alone, the registry and lifecycle tools the tests and benches run beside
# Debian's: Distribution 3 (the registry), regctl and crane (the peers in bench:prune), Trivy (the scan
# gate), trivy-db (which builds the scan tests' offline database) and cosign (the signing tests). Each lands in OUTDIR as NAME, with a stamp naming its module version, so a rebuild happens only
# when a version changes. Cold on 2 cores about 17 minutes (Trivy alone about 6, cosign 5); warm, seconds.
#   build-go-tools.sh OUTDIR [check]
set -euo pipefail
out=$(mkdir -p "${1:?usage: $0 OUTDIR [check]}" && cd "$1" && pwd)
export PATH="$PATH:/usr/local/go/bin" GOFLAGS="-mod=mod -buildvcs=false"
command -v go >/dev/null || { echo "Go is needed to build the registry tools (apt-get install golang, or go.dev/dl)" >&2; exit 1; }

# NAME MODULE/PACKAGE VERSION [GOEXPERIMENT]
TOOLS=(
  "registry3 github.com/distribution/distribution/v3/cmd/registry v3.1.2"
  "regctl github.com/regclient/regclient/cmd/regctl v0.11.7"
  "crane github.com/google/go-containerregistry/cmd/crane v0.22.1"
  "trivy github.com/aquasecurity/trivy/cmd/trivy v0.74.0 jsonv2"
  # Trivy's own database builder, at the version Trivy v0.74.0 pins: the scan tests' offline database.
  "trivy-db github.com/aquasecurity/trivy-db/cmd/trivy-db v0.0.0-20260813095258-0e0340a01b57"
  "cosign github.com/sigstore/cosign/v2/cmd/cosign v2.5.3"
)

fresh() { [ -x "$out/$1" ] && [ "$(cat "$out/.stamp-$1" 2>/dev/null)" = "$2@$3" ]; }

status=0
for tool in "${TOOLS[@]}"; do
  read -r name package version experiment <<<"$tool"
  fresh "$name" "$package" "$version" && continue
  if [ "${2:-}" = check ]; then echo "missing or stale: $name ($package@$version)"; status=1; continue; fi
  t0=$SECONDS
  tmp=$(mktemp -d)
  GOBIN="$tmp" GOEXPERIMENT="${experiment:-}" go install -trimpath -ldflags "-s -w" "$package@$version"
  mv "$tmp/$(basename "$package")" "$out/$name" && rmdir "$tmp"
  echo "$package@$version" >"$out/.stamp-$name"
  echo "built $name $version ($((SECONDS - t0)) s)"
done
exit "$status"
