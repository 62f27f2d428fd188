# shellcheck shell=sh
# A fragment: makes a Go client (cosign, Trivy) trust the private registry CA given in $REGISTRY_CA, in the
# script's $work folder. Go reads SSL_CERT_DIR in place of the system's certificate folders but still reads
# the system bundle file, so public registries (Trivy's database) stay trusted.
if [ -n "${REGISTRY_CA:-}" ]; then
  mkdir -p "$work/ca"
  printf "%s\n" "$REGISTRY_CA" > "$work/ca/registry-ca.crt"
  SSL_CERT_DIR="$work/ca"
  export SSL_CERT_DIR
fi
