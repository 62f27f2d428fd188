import * as pulumi from "@pulumi/pulumi";
import { AppDeployment } from "./components/appDeployment";
import { AppNamespace } from "./components/appNamespace";
import { PrivateRegistry } from "./components/privateRegistry";
import { loadConfig } from "./config/load";

// Config is parsed and validated first: a bad value stops the program before any resource exists.
const { config, secrets } = loadConfig();

const registry = new PrivateRegistry("registry", { settings: config.registry, secrets });

const namespaces = new Map(
  [...new Set(config.apps.map((app) => app.namespace))].map((ns) => [
    ns,
    new AppNamespace(`ns-${ns}`, { namespace: ns, dockerConfigJson: registry.credentials?.dockerConfigJson }),
  ]),
);

const apps = config.apps.map(
  (app) =>
    new AppDeployment(`app-${app.name}`, {
      app,
      environment: config.environment,
      tagStrategy: config.tagStrategy,
      extraTags: config.extraTags,
      registry,
      namespace: namespaces.get(app.namespace) as AppNamespace,
      projectDir: __dirname,
      secrets,
      sign: config.sign,
      // The addon and the managed NodePort serve plain HTTP; an external registry is assumed to have TLS.
      registryIsHttp: config.registry.mode !== "external",
    }),
);

export const environment = config.environment;
export const registryMode = config.registry.mode;
export const registryHost = registry.host;
export const registryUsername = registry.credentials?.username;
/** `pulumi stack output --show-secrets registryPassword` */
export const registryPassword = registry.credentials ? pulumi.secret(registry.credentials.password) : undefined;
export const registryUiService = registry.uiServiceName;
/** Only when generated: register them in MinIO (`mc admin user add`). */
export const s3AccessKey = registry.generatedS3Credentials?.accessKey;
export const s3SecretKey = registry.generatedS3Credentials?.secretKey;
/** Per app: the digest it runs, its tag, Service and namespace. */
export const appImages = pulumi.output(
  Object.fromEntries(apps.map((a, i) => [config.apps[i].name, { image: a.image, tag: a.tag, service: a.serviceName, namespace: a.namespace }])),
);
