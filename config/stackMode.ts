/**
 * Prints the registry mode a stack file (`Pulumi.<stack>.yaml`) selects, resolved as the program resolves
 * it (modes/index.ts), so scripts/deploy.sh checks that mode's prerequisites without parsing YAML itself.
 *   node dist/config/stackMode.js Pulumi.dev.yaml
 */
import * as fs from "fs";
import { parse as parseYaml } from "yaml";
import { defaultMode, REGISTRY_MODES } from "../modes";
import { PROJECT } from "./project";

/** The mode named in, or defaulted for, the stack file's config; an error message for a mode no module has. */
export function stackMode(stackFileText: string): { mode: string } | { error: string } {
  const config = (parseYaml(stackFileText) ?? {}).config ?? {};
  const registry = config[`${PROJECT}:registry`];
  const named = typeof registry === "object" && registry !== null ? registry.mode : undefined;
  const mode = named ?? defaultMode(String(config[`${PROJECT}:environment`] ?? "dev"));
  if ((REGISTRY_MODES as readonly unknown[]).includes(mode)) return { mode };
  return { error: `${PROJECT}:registry.mode = ${JSON.stringify(mode)}: mode must be one of: ${REGISTRY_MODES.join(", ")}` };
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: node dist/config/stackMode.js Pulumi.<stack>.yaml");
    process.exit(2);
  }
  const result = stackMode(fs.readFileSync(file, "utf8"));
  if ("error" in result) {
    console.error(result.error);
    process.exit(1);
  }
  console.log(result.mode);
}
