import * as pulumi from "@pulumi/pulumi";
import { PrivateRegistry } from "./components/privateRegistry";
import { loadConfig } from "./config/load";

// Config is parsed and validated first: a bad value stops the program before any resource exists.
const { config, secrets } = loadConfig();

const registry = new PrivateRegistry("registry", { settings: config.registry, secrets });

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
