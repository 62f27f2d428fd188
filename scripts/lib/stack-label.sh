# shellcheck shell=bash
# The value of the `microk8s-pipeline/stack` label the program puts on each Kubernetes object (its rule is
# lib/stackLabel.ts, and a unit test holds the two to the same answers): the stack name when it is a valid
# label value, else `s-` and the first 40 hex digits of its SHA-256.
stack_label_value() {
  if [[ "$1" =~ ^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$ ]]; then
    printf '%s\n' "$1"
  else
    printf 's-%s\n' "$(printf '%s' "$1" | sha256sum | cut -c1-40)"
  fi
}
