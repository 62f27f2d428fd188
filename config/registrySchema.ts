/**
 * The `registry` config key: the union of the mode modules' schemas (modes/), and the names the rest of
 * the program reads them by.
 */
import type { z } from "zod";
import type { allowReplaceFromSchema } from "../modes/shared";

export { registryKeyHint, registrySchema, REGISTRY_MODES, type RegistrySettings } from "../modes";
export type { GcSettings, ManagedSettings, RetentionSettings, UiSettings } from "../modes/managed";
export { ADDON_HOST, ADDON_NAMESPACE, DOCKER_CERTS_DIR, managedRegistryHost } from "../lib/registryDefaults";

export type AllowReplaceFrom = z.infer<typeof allowReplaceFromSchema>;
