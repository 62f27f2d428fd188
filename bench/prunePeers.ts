/**
 * The other cleanups bench:prune measures, each as a user would run it per repository.
 * - The document's clean-registry.sh, extracted from the source chapter with only its two hard-coded
 *   settings read from the environment.
 * - regctl and crane, driven as their documentation shows for keep-N (neither has a keep-N command): list
 *   the tags, leave latest out, `sort -V`, keep the last N, delete the rest one by one. regctl deletes a tag
 *   (`regctl tag delete`, which on 2.8 goes through a throwaway manifest); crane deletes the digest the tag
 *   resolves to (`crane delete repo@$(crane digest repo:tag)`), as registries that delete by digest need.
 * The scripts read TOOL (the binary), HOST, REPO and KEEP from the environment.
 */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../test/integration/docker";

const SEED_DOC = process.env.SEED_DOC ?? path.resolve(REPO_ROOT, "..", "shared", "seed", "registry-prive.md");

export function documentScript(): string {
  const doc = fs.readFileSync(SEED_DOC, "utf8");
  const block = /```bash\n(#!\/bin\/bash\n# scripts\/clean-registry\.sh[\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error(`clean-registry.sh not found in ${SEED_DOC}`);
  const script = block.replace('REGISTRY="localhost:32000"', 'REGISTRY="$BENCH_REGISTRY"').replace('REPO="mon-app"', 'REPO="$BENCH_REPO"');
  if (!script.includes("$BENCH_REGISTRY") || !script.includes("$BENCH_REPO")) throw new Error("the script's REGISTRY/REPO lines changed");
  return script;
}

export interface Peer {
  name: string;
  /** Its file in the go-tools folder (scripts/test-env/build-go-tools.sh). */
  binary: string;
  script: string;
}

const OLDEST_FIRST_BUT_KEEP = `grep -vx latest | sort -V | head -n -"$KEEP"`;

export const PEERS: Peer[] = [
  {
    name: "regctl v0.11.7 (tag ls | sort -V; tag delete)",
    binary: "regctl",
    script: [
      "set -euo pipefail",
      '"$TOOL" registry set --tls disabled "$HOST" >/dev/null',
      `"$TOOL" tag ls "$HOST/$REPO" | ${OLDEST_FIRST_BUT_KEEP} | while read -r tag; do "$TOOL" tag delete "$HOST/$REPO:$tag"; done`,
    ].join("\n"),
  },
  {
    name: "crane v0.22.1 (ls | sort -V; delete @digest)",
    binary: "crane",
    script: [
      "set -euo pipefail",
      `"$TOOL" ls --insecure "$HOST/$REPO" | ${OLDEST_FIRST_BUT_KEEP} | while read -r tag; do`,
      '  "$TOOL" delete --insecure "$HOST/$REPO@$("$TOOL" digest --insecure "$HOST/$REPO:$tag")"',
      "done",
    ].join("\n"),
  },
];
