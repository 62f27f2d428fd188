# shellcheck shell=sh
# Pushes a moving tag of an image just pushed by digest, through the Docker daemon (which verifies the
# registry with the CAs in /etc/docker/certs.d), then checks the registry stored the tag on that same digest.
# Inputs in the environment: SOURCE_IMAGE, TARGET_IMAGE, IMAGE_DIGEST_REF, REGISTRY_DOCKER_CONFIG (secret).
set -eu
@@DIGEST_GUARD@@
@@DOCKER_CONFIG@@
docker tag "$SOURCE_IMAGE" "$TARGET_IMAGE"
out=$(docker push "$TARGET_IMAGE")
printf "%s\n" "$out"
pushed=$(printf "%s\n" "$out" | sed -n 's/.*digest: \(sha256:[a-f0-9]\{64\}\).*/\1/p' | tail -n 1)
expected="${IMAGE_DIGEST_REF#*@}"
if [ "$pushed" != "$expected" ]; then
  echo "pushed $TARGET_IMAGE as ${pushed:-an unknown digest}, but the build pushed $expected: the tag would point at another image; check that nothing else pushes to this repository" >&2
  exit 1
fi
