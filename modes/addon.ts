/**
 * The MicroK8s registry addon (dev's default): `microk8s enable registry` on the node, or over SSH. No
 * auth and plain HTTP, so prod refuses it.
 */
import { z } from "zod";
import { MicroK8sRegistryAddon } from "../components/microk8sRegistryAddon";
import { PROJECT } from "../config/project";
import { bytes, dnsLabel, hostPort, nonEmpty, portNumber } from "../config/primitives";
import { parseBytes } from "../lib/quantity";
import { ADDON_HOST, ADDON_MIN_SIZE, ADDON_NAMESPACE } from "../lib/registryDefaults";
import { allowReplaceFromSchema, nodeTrustSchema, readinessSchema, RegistryMode, unusedTlsSecrets } from "./shared";

const sshSchema = z.strictObject({
  host: nonEmpty("host name"),
  user: nonEmpty("user name"),
  port: portNumber.default(22),
});

export const addonSchema = z.strictObject({
  mode: z.literal("microk8s-addon"),
  size: bytes
    .default(ADDON_MIN_SIZE)
    .refine((v) => (parseBytes(v) ?? 0) >= (parseBytes(ADDON_MIN_SIZE) ?? 0), {
      error: `must be at least ${ADDON_MIN_SIZE}: the MicroK8s registry addon refuses a smaller volume`,
    }),
  storageClass: dnsLabel.optional(),
  ssh: sshSchema.optional(),
  host: hostPort.default(ADDON_HOST),
  readiness: readinessSchema,
  /** `pulumi destroy` runs `microk8s disable registry`, which deletes the addon's volume and every image. */
  disableOnDestroy: z.boolean().default(false),
  nodeTrust: nodeTrustSchema,
  allowReplaceFrom: allowReplaceFromSchema,
});

export type AddonSettings = z.infer<typeof addonSchema>;

/** The node the addon runs on: this machine, or the SSH target. */
const target = (s: AddonSettings) => (s.ssh ? `${s.ssh.user}@${s.ssh.host}:${s.ssh.port}` : "local");

export const addonMode: RegistryMode<AddonSettings> = {
  schema: addonSchema,
  keys: Object.keys(addonSchema.shape),
  defaultIn: ["dev"],
  namespace: () => ADDON_NAMESPACE,
  host: (s) => s.host,
  insecure: () => true,
  prodRules: () => [
    `${PROJECT}:registry.mode = "microk8s-addon": the MicroK8s registry addon has no auth (anyone reaching port 32000 can push and delete); in prod use registry.mode managed (htpasswd auth) or external with registry.username`,
  ],
  nodeTrustRules: (s) =>
    s.host === ADDON_HOST
      ? [`${PROJECT}:registry.nodeTrust.enabled = true: the addon's own ${ADDON_HOST} needs no node trust (MicroK8s's containerd pulls from it over plain HTTP already); it is for any other registry.host`]
      : [],
  secretRules: (s, secrets) => [
    ...unusedTlsSecrets(secrets, false),
    ...(s.ssh && !secrets.has("sshPrivateKey")
      ? [`${PROJECT}:sshPrivateKey = (not set): required when registry.ssh is set; set it with: pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`]
      : []),
  ],
  // The addon's target is guarded only when its delete disables the addon (and so deletes its volume).
  storage: { values: (s) => ({ mode: s.mode, ssh: target(s) }), guarded: (s) => (s.disableOnDestroy ? ["mode", "ssh"] : ["mode"]) },
  create(name, s, { secrets }, parent) {
    const ssh = s.ssh && secrets.sshPrivateKey ? { ...s.ssh, privateKey: secrets.sshPrivateKey } : undefined;
    const addon = new MicroK8sRegistryAddon(
      `${name}-addon`,
      { size: s.size, storageClass: s.storageClass, ssh, host: s.host, readiness: s.readiness, disableOnDestroy: s.disableOnDestroy },
      { parent },
    );
    return { host: addon.host, ready: addon.ready };
  },
};
