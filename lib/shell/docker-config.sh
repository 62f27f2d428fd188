# shellcheck shell=sh
# A fragment: a private temporary $work folder (removed on exit) holding the registry credentials
# ($REGISTRY_DOCKER_CONFIG, a dockerconfigjson, or none) as the DOCKER_CONFIG of every client the script
# runs, readable by this user alone: no password on a command line, and none of the user's own credentials.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(umask 077; if [ -n "${REGISTRY_DOCKER_CONFIG:-}" ]; then printf %s "$REGISTRY_DOCKER_CONFIG"; else echo "{}"; fi > "$work/config.json")
DOCKER_CONFIG="$work"
export DOCKER_CONFIG
