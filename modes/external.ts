/** An existing registry: no resources of its own, only its host, its credentials and (optionally) its private CA. */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { DockerRegistryTrust } from "../components/dockerRegistryTrust";
import { RegistryCredentials } from "../components/registryCredentials";
import { registryReadiness } from "../components/registryReadiness";
import { PROJECT } from "../config/project";
import { hostPort } from "../config/primitives";
import { CREDENTIAL_USER } from "../lib/patterns";
import { DOCKER_CERTS_DIR } from "../lib/registryDefaults";
import { allowReplaceFromSchema, nodeTrustSchema, readinessSchema, RegistryMode, SecretPresence } from "./shared";

export const externalSchema = z
  .strictObject({
    mode: z.literal("external"),
    host: hostPort,
    /** Empty for an anonymous registry; the password then comes from secret config registryPassword. */
    username: z.string().regex(CREDENTIAL_USER, { error: "must not contain ':' or spaces" }).optional(),
    /**
     * The read-only user the pull Secrets in app namespaces carry; its password is secret config
     * registryPullPassword. Required in prod; in dev, without it the pull Secrets carry the push credential.
     */
    pullUsername: z.string().regex(/^[^:\s]+$/, { error: "must be a user name without ':' or spaces" }).optional(),
    nodeTrust: nodeTrustSchema,
    readiness: readinessSchema,
    allowReplaceFrom: allowReplaceFromSchema,
  })
  .superRefine((r, ctx) => {
    if (r.pullUsername !== undefined && !r.username) {
      ctx.addIssue({ code: "custom", path: ["pullUsername"], input: r.pullUsername, message: "needs registry.username: a pull user for an anonymous registry has nothing to add" });
    }
    if (r.pullUsername !== undefined && r.pullUsername === r.username) {
      ctx.addIssue({ code: "custom", path: ["pullUsername"], input: r.pullUsername, message: "must differ from username: pulls get a credential of their own" });
    }
  });

export type ExternalSettings = z.infer<typeof externalSchema>;

/** Prod: no one in without credentials, and pulls with a read-only credential of their own. */
function prodRules(s: ExternalSettings): string[] {
  if (!s.username) {
    return [`${PROJECT}:registry.username = (not set): a prod registry must have auth; set registry.username and the secret registryPassword, and registry.pullUsername with the secret registryPullPassword`];
  }
  if (!s.pullUsername) {
    return [
      `${PROJECT}:registry.pullUsername = (not set): in prod the pull Secrets in app namespaces carry a read-only credential of their own, never the push one; create a pull-only user in ${s.host}, then set registry.pullUsername and pulumi config set --secret registryPullPassword ...`,
    ];
  }
  return [];
}

function secretRules(s: ExternalSettings, secrets: SecretPresence): string[] {
  const problems: string[] = [];
  // Its private CA is what its clients and (with nodeTrust) the nodes verify it against; it serves its own certificate.
  for (const key of ["registryTlsCertificate", "registryTlsKey"].filter((k) => secrets.has(k))) {
    problems.push(`${PROJECT}:${key} = (hidden): an external registry serves its own certificate; only registryTlsCa (its CA) is used in external mode; remove it (pulumi config rm ${key})`);
  }
  if (s.username && !secrets.has("registryPassword")) {
    problems.push(`${PROJECT}:registryPassword = (not set): required with registry.username in external mode; set it with: pulumi config set --secret registryPassword ...`);
  }
  if (s.pullUsername && !secrets.has("registryPullPassword")) {
    problems.push(`${PROJECT}:registryPullPassword = (not set): required with registry.pullUsername in external mode; set it with: pulumi config set --secret registryPullPassword ...`);
  }
  if (!s.pullUsername && secrets.has("registryPullPassword")) {
    problems.push(`${PROJECT}:registryPullPassword = (hidden): is used only with registry.pullUsername, which is not set; set registry.pullUsername to its user, or remove it`);
  }
  return problems;
}

export const externalMode: RegistryMode<ExternalSettings> = {
  schema: externalSchema,
  keys: Object.keys(externalSchema.shape),
  defaultIn: [],
  namespace: () => undefined,
  host: (s) => s.host,
  // Expected to serve TLS: its own certificate, or one signed by registryTlsCa.
  insecure: () => false,
  prodRules,
  nodeTrustRules: () => [],
  secretRules,
  storage: { values: (s) => ({ mode: s.mode }), guarded: () => ["mode"] },
  create(name, s, { secrets }, parent) {
    const pull = s.pullUsername && secrets.registryPullPassword ? { username: s.pullUsername, password: secrets.registryPullPassword } : undefined;
    if (s.username && !pull) {
      pulumi.log.warn(
        `registry.pullUsername is not set: the pull Secrets in app namespaces carry the push credential of ${s.username}, so any pod there can push and delete; set registry.pullUsername and the secret registryPullPassword (prod requires them)`,
        parent,
      );
    }
    const credentials =
      s.username && secrets.registryPassword
        ? new RegistryCredentials(`${name}-credentials`, { username: s.username, password: secrets.registryPassword, server: s.host, pull }, { parent })
        : undefined;
    // A private CA (registryTlsCa) is what every client verifies this registry against.
    const ca = secrets.registryTlsCa ? pulumi.unsecret(secrets.registryTlsCa) : undefined;
    const dockerTrust = ca ? new DockerRegistryTrust(`${name}-docker-trust`, { host: s.host, ca, certsDir: DOCKER_CERTS_DIR }, { parent }).installed : undefined;
    // The same bounded wait as the other modes: an unreachable registry fails before the first push.
    const ready = registryReadiness(
      `${name}-ready`,
      {
        url: `https://${s.host}`,
        readiness: s.readiness,
        hint: `Check that ${s.host} is reachable from this machine and serves TLS`,
        credentials: credentials ? { username: credentials.username, password: credentials.password } : undefined,
        ca,
      },
      { parent, dependsOn: dockerTrust ? [dockerTrust] : [] },
    );
    return { host: pulumi.output(s.host), credentials, ready, ca };
  },
};
