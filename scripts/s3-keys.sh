#!/usr/bin/env bash
# Prints the S3 keys this stack generated for the managed registry, as the MinIO commands that register
# them. It reads them from the state, so it works after a first `pulumi up` that failed waiting for a
# registry that MinIO does not let in yet (such an update records no stack output, but the keys it
# generated are in the state). Run the printed commands as MinIO's admin, then deploy again.
#   scripts/s3-keys.sh STACK [MC_ALIAS]
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${1:-}"
alias="${2:-minio}"
[ -n "$stack" ] && [ -f "Pulumi.$stack.yaml" ] || { echo "s3-keys: name a stack that has a Pulumi.<stack>.yaml here" >&2; exit 2; }
[[ "$alias" =~ ^[A-Za-z0-9_-]+$ ]] || { echo "s3-keys: the mc alias must be letters, digits, '_' or '-'" >&2; exit 2; }
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"
# shellcheck disable=SC2016 # JavaScript for node -e: its ${...} are its own template strings
pulumi stack export --show-secrets --stack "$stack" --non-interactive | node -e '
  const [stack, alias] = process.argv.slice(1);
  const d = JSON.parse(require("fs").readFileSync(0, "utf8")).deployment;
  const result = (suffix) => {
    const r = (d.resources ?? []).find((x) => x.type === "random:index/randomPassword:RandomPassword" && x.urn.endsWith(`::registry-managed-${suffix}`));
    const v = r?.outputs?.result;
    return typeof v === "string" ? v : v?.plaintext !== undefined ? JSON.parse(v.plaintext) : undefined;
  };
  const [access, secret] = [result("s3-access-key"), result("s3-secret-key")];
  if (!access || !secret) {
    console.error(`s3-keys: ${stack} has no generated S3 keys in its state (S3 keys set with pulumi config set --secret, filesystem storage, or no up yet)`);
    process.exit(1);
  }
  if (!/^[A-Za-z0-9]+$/.test(access + secret)) { console.error("s3-keys: the keys in the state are not the generated kind (letters and digits)"); process.exit(1); }
  console.log(`# The registry of ${stack} reads S3 with these generated keys. As the MinIO admin (mc alias ${alias}):`);
  console.log(`mc admin user add ${alias} ${access} ${secret}`);
  console.log(`mc admin policy attach ${alias} readwrite --user ${access}`);
  console.log(`# then deploy again: npm run deploy:${stack}`);' "$stack" "$alias"
