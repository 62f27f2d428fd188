/** The shell line that stops a script acting on a pushed image unless `$IMAGE_DIGEST_REF` names it by digest. */
export const digestGuard = (verb: string) =>
  `case "$IMAGE_DIGEST_REF" in *@sha256:*) ;; *) echo "refusing to ${verb} $IMAGE_DIGEST_REF: not a digest reference" >&2; exit 1;; esac`;
