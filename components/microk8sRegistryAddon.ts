import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ADDON_DISABLE_COMMAND, ADDON_HINT, addonEnableCommand } from "../lib/addonCommands";
import { SHELL_INTERPRETER } from "../lib/shellCommand";
import { waitForRegistryScript } from "../lib/waitScript";

/** The SSH target when MicroK8s runs on another host than `pulumi up`. */
export interface AddonSshArgs {
  host: pulumi.Input<string>;
  user: pulumi.Input<string>;
  port?: pulumi.Input<number>;
  /** A Pulumi secret; it goes only into the command provider's connection. */
  privateKey: pulumi.Input<string>;
}

export interface MicroK8sRegistryAddonArgs {
  /** Volume for the addon's PVC; the addon refuses less than 20Gi, and cannot grow it once enabled. */
  size: string;
  /** Storage class for the PVC; the cluster default when unset. */
  storageClass?: string;
  /** Run `microk8s` on the cluster host over SSH instead of locally. */
  ssh?: AddonSshArgs;
  /** host:port that Docker and the kubelet use (config's registry.host, by default the addon's NodePort). */
  host: string;
  /** Bounded wait for `/v2/`, so a broken addon fails the update instead of the first push. */
  readiness: { attempts: number; intervalSeconds: number };
  /** Let `pulumi destroy` run `microk8s disable registry`, which deletes the addon's volume and images. */
  disableOnDestroy?: boolean;
}

/**
 * `microk8s enable registry` on create (re-run idempotently on update), then a wait for `/v2/`. Its delete,
 * `microk8s disable registry`, deletes every image, so the engine never runs it (retainOnDelete) unless
 * `disableOnDestroy`: neither `destroy` nor the switch between local and SSH (two command types, so a
 * create and a delete) disables the addon.
 */
export class MicroK8sRegistryAddon extends pulumi.ComponentResource {
  /** Where images are pushed and pulled. */
  public readonly host: pulumi.Output<string>;
  /** Resolves once `/v2/` answered; depend on it before pushing. */
  public readonly ready: pulumi.Resource;

  constructor(name: string, args: MicroK8sRegistryAddonArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:registry:MicroK8sRegistryAddon", name, {}, opts);
    const { host, readiness } = args;
    const enable = addonEnableCommand(args.size, args.storageClass);
    const waitScript = waitForRegistryScript(`http://${host}`, readiness.attempts, readiness.intervalSeconds, ADDON_HINT);

    const enabled = this.runCommand(`${name}-enable`, { create: enable, update: enable, delete: ADDON_DISABLE_COMMAND }, args.ssh, [], !(args.disableOnDestroy ?? false));
    this.ready = this.runCommand(`${name}-ready`, { create: waitScript, update: waitScript, triggers: [enable] }, args.ssh, [enabled]);
    this.host = pulumi.output(host);
    this.registerOutputs({ host: this.host });
  }

  private runCommand(
    name: string,
    script: { create: string; update: string; delete?: string; triggers?: string[] },
    ssh: AddonSshArgs | undefined,
    dependsOn: pulumi.Resource[] = [],
    retainOnDelete = false,
  ): pulumi.Resource {
    const opts = { parent: this, dependsOn, retainOnDelete };
    if (!ssh) return new command.local.Command(name, { ...script, interpreter: SHELL_INTERPRETER }, opts);
    const connection = { host: ssh.host, user: ssh.user, port: ssh.port ?? 22, privateKey: pulumi.secret(ssh.privateKey) };
    return new command.remote.Command(name, { ...script, connection }, opts);
  }
}
