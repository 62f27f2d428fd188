import * as pulumi from "@pulumi/pulumi";
import { AppDeployment } from "./components/appDeployment";
import { AppNamespace } from "./components/appNamespace";
import { PrivateRegistry } from "./components/privateRegistry";
import { loadConfig } from "./config/load";
import { guardStorage } from "./config/previousStorage";
import { STORAGE_OUTPUT, storageRecord } from "./config/storageGuard";
import { appDeploymentArgs, appNamespaceArgs, appNamespaces, registryArgs } from "./config/wiring";
import { definedOnly } from "./lib/definedOnly";
import { labelKubernetesObjects } from "./lib/stackLabel";

// An async program, so the storage guard can read the last update's record before any resource exists.
export = async () => {
  // Config is parsed and validated first: a bad value stops the program before any resource exists.
  const loaded = loadConfig(__dirname);
  const { config } = loaded;
  const { firstUpdate } = await guardStorage(config);
  // Every Kubernetes object says which stack made it, so recovery after a killed up removes only this stack's.
  const labelled: pulumi.ComponentResourceOptions = { transformations: [labelKubernetesObjects(pulumi.getStack())] };

  const registry = new PrivateRegistry("registry", registryArgs(loaded, firstUpdate), labelled);
  const namespaces: Record<string, AppNamespace> = Object.fromEntries(
    appNamespaces(loaded).map((ns) => [ns, new AppNamespace(`ns-${ns}`, appNamespaceArgs(ns, registry), labelled)]),
  );
  const apps = config.apps.map((app) => new AppDeployment(`app-${app.name}`, appDeploymentArgs(loaded, app, registry, namespaces[app.namespace]), labelled));

  // Stack outputs. A mode leaves some out (dev has no credentials, no UI, no S3 keys): an undefined
  // output would only earn a warning on every run.
  return definedOnly({
    environment: config.environment,
    registryMode: config.registry.mode,
    registryHost: registry.host,
    /** Where the images live, for the next update's storage guard (config/storageGuard.ts). */
    [STORAGE_OUTPUT]: storageRecord(config.registry),
    registryUsername: registry.credentials?.username,
    /** `pulumi stack output --show-secrets registryPassword` */
    registryPassword: registry.credentials ? pulumi.secret(registry.credentials.password) : undefined,
    registryUiService: registry.uiServiceName,
    /** With registry.tls: the CA (PEM, not secret) that Docker, containerd and every client trust. */
    registryCa: registry.ca,
    /** Only when generated: register them in MinIO (`mc admin user add`). */
    s3AccessKey: registry.generatedS3Credentials?.accessKey,
    s3SecretKey: registry.generatedS3Credentials?.secretKey,
    /** Per app: the digest it runs, its tag, Service and namespace, and (images.scan) its findings by severity. */
    appImages: pulumi.output(
      Object.fromEntries(
        apps.map((a, i) => [config.apps[i].name, definedOnly({ image: a.image, tag: a.tag, service: a.serviceName, namespace: a.namespace, vulnerabilities: a.scanFindings })]),
      ),
    ),
  });
};
