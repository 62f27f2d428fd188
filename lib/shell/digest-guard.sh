# shellcheck shell=sh
# A fragment: stops a script acting on a pushed image unless $IMAGE_DIGEST_REF names it by digest.
case "$IMAGE_DIGEST_REF" in *@sha256:*) ;; *) echo "refusing to @@VERB@@ $IMAGE_DIGEST_REF: not a digest reference" >&2; exit 1;; esac
