# shellcheck shell=sh
# Signs one pushed digest with cosign, no transparency log (a private registry has no public Rekor entry).
# Secrets come in the environment only: COSIGN_PRIVATE_KEY, COSIGN_PASSWORD, and REGISTRY_DOCKER_CONFIG
# (docker-config.sh). Filled by lib/signScript.ts.
set -eu
command -v cosign >/dev/null 2>&1 || { echo "@@COSIGN_MISSING@@" >&2; exit 1; }
@@DIGEST_GUARD@@
@@DOCKER_CONFIG@@
@@CA_TRUST@@
cosign sign --yes --key env://COSIGN_PRIVATE_KEY --tlog-upload=false@@HTTP_FLAGS@@ "$IMAGE_DIGEST_REF"
echo "signed $IMAGE_DIGEST_REF"
