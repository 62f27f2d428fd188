#!/usr/bin/env bash
# Builds a minimal image from this machine's own files (no registry, no download):
#   rootfs-image.sh IMAGE_NAME SRC[:DEST]... -- copies each file or folder (to DEST, default its own path)
#   and the libraries ldd lists (IMAGE_CMD sets the image's CMD, IMAGE_RECIPE labels it, IMAGE_LINKS adds
#   symlinks as "LINK=TARGET ..."),
# plus busybox (shell, wget, id), an /etc/passwd with a non-root user 1000, and /tmp with mode 1777.
set -euo pipefail
image="$1"; shift
rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT

copy_with_libs() {
  local file="${1%%:*}" dest="${1#*:}"
  case "$1" in *:*) ;; *) dest="$file" ;; esac
  if [ -d "$file" ]; then
    mkdir -p "$(dirname "$rootfs$dest")" && cp -a "$(readlink -f "$file")" "$rootfs$dest"
    return
  fi
  install -D -m "$([ -x "$file" ] && echo 0755 || echo 0644)" "$(readlink -f "$file")" "$rootfs$dest"
  { ldd "$file" 2>/dev/null || true; } | { grep -oE '/[^ ]+\.so[^ ]*' || true; } | sort -u | while read -r lib; do
    [ -e "$rootfs$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$rootfs$lib"
  done
}

for file in "$@"; do copy_with_libs "$file"; done
copy_with_libs /bin/busybox
for applet in sh wget id cat ls sleep find du; do ln -sf busybox "$rootfs/bin/$applet"; done
# `#!/usr/bin/env node` scripts (npm) need env at that path.
mkdir -p "$rootfs/usr/bin" && ln -sf /bin/busybox "$rootfs/usr/bin/env"
for link in ${IMAGE_LINKS:-}; do
  mkdir -p "$(dirname "$rootfs${link%%=*}")" && ln -sf "${link#*=}" "$rootfs${link%%=*}"
done
mkdir -p "$rootfs/etc" "$rootfs/tmp" "$rootfs/var/lib/registry" "$rootfs/etc/docker/registry"
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' >"$rootfs/etc/group"
chown 1000:1000 "$rootfs/var/lib/registry"
changes=(-c 'ENV PATH=/usr/local/bin:/usr/bin:/bin')
[ -z "${IMAGE_CMD:-}" ] || changes+=(-c "CMD $IMAGE_CMD")
[ -z "${IMAGE_RECIPE:-}" ] || changes+=(-c "LABEL microk8s-pipeline.recipe=$IMAGE_RECIPE")
tar -C "$rootfs" -c . | docker import "${changes[@]}" - "$image" >/dev/null
echo "built $image"
