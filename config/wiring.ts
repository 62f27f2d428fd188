/**
 * From the loaded config to each component's args: the one place that knows both shapes, so that
 * components own their args and index.ts only wires components together.
 */
import type { AppDeploymentArgs } from "../components/appDeployment";
import type { AppNamespaceArgs } from "../components/appNamespace";
import type { PrivateRegistryArgs, RegistryAccess } from "../components/privateRegistry";
import type { AppSettings } from "./appsSchema";
import type { LoadedConfig } from "./load";

export function registryArgs(loaded: LoadedConfig, firstUpdate: boolean): PrivateRegistryArgs {
  return { settings: loaded.config.registry, secrets: loaded.secrets, firstUpdate, pruneBuild: loaded.pruneBuild };
}

/** One namespace per distinct app namespace, in the order the apps name them. */
export function appNamespaces(loaded: LoadedConfig): string[] {
  return [...new Set(loaded.config.apps.map((app) => app.namespace))];
}

/** Each app namespace carries the registry's pull Secret when the registry has auth. */
export function appNamespaceArgs(namespace: string, registry: RegistryAccess): AppNamespaceArgs {
  return { namespace, dockerConfigJson: registry.pullDockerConfigJson };
}

export function appDeploymentArgs(loaded: LoadedConfig, app: AppSettings, registry: RegistryAccess, namespace: AppDeploymentArgs["namespace"]): AppDeploymentArgs {
  const { config, secrets, builds } = loaded;
  return {
    app,
    build: builds.get(app.name),
    registry,
    namespace,
    appSecret: secrets.appSecret,
    sign: secrets.signing,
    scan: config.scan.enabled ? config.scan : undefined,
  };
}
