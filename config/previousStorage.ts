/** Reads the storage record of this stack's last update, and refuses a guarded change before any resource. */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./errors";
import type { PipelineConfig } from "./parse";
import { parseStorageRecord, STORAGE_OUTPUT, storageGuardProblems, StorageRecord } from "./storageGuard";

/**
 * The stack's own outputs as its last update left them: a StackReference to itself is the one way a
 * program reads its previous state, and it resolves during preview too.
 */
async function previousStorageRecord(): Promise<StorageRecord | undefined> {
  const self = new pulumi.StackReference("registry-storage-record", { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` });
  const details = await self.getOutputDetails(STORAGE_OUTPUT);
  return parseStorageRecord(details.value);
}

/**
 * Throws a ConfigError naming each guarded key that this update would change without its opt-in; else says
 * whether this is the stack's first update (no record yet).
 */
export async function guardStorage(config: PipelineConfig): Promise<{ firstUpdate: boolean }> {
  const previous = await previousStorageRecord();
  const problems = storageGuardProblems(previous, config.registry);
  if (problems.length > 0) throw new ConfigError(config.stack, problems);
  return { firstUpdate: previous === undefined };
}
