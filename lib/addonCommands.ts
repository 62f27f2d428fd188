/**
 * Shell commands for the MicroK8s registry addon. Their arguments come from validated config
 * (a quantity and a DNS label), so they need no quoting.
 */
export function addonEnableCommand(size: string, storageClass?: string): string {
  return ["microk8s enable registry", `--size ${size}`, ...(storageClass ? [`--storageclass ${storageClass}`] : [])].join(" ");
}

export const ADDON_DISABLE_COMMAND = "microk8s disable registry";

export const ADDON_HINT = "Check the addon with: microk8s status; microk8s kubectl -n container-registry get pods,pvc";
