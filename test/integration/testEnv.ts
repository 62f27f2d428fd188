/** Integration helpers that read the program's declared resources (through the mock harness). */
import * as fs from "fs";
import * as path from "path";
import { k8sName, Recorded, TYPES } from "../recorded";
import { tempDir, TEST_LABEL } from "./docker";

export * from "./docker";

/** Resolves a declared container's env: plain values as given, secretKeyRef from the declared Secrets. */
/** The pod metadata a downward-API `fieldRef` reads, as the kubelet does: a missing annotation or label reads as "". */
function fieldValue(fieldPath: string, podMetadata: Record<string, any>): string {
  const match = /^metadata\.(annotations|labels)\['([^']+)'\]$/.exec(fieldPath);
  if (!match) throw new Error(`fieldRef ${fieldPath}: the test environment resolves only metadata.annotations['...'] and metadata.labels['...']`);
  return String(podMetadata[match[1]]?.[match[2]] ?? "");
}

export function resolveEnv(container: Record<string, any>, secrets: Recorded[], podMetadata: Record<string, any> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) env[entry.name] = String(entry.value);
    else if (entry.valueFrom?.fieldRef) env[entry.name] = fieldValue(entry.valueFrom.fieldRef.fieldPath, podMetadata);
    else if (entry.valueFrom?.secretKeyRef) {
      const ref = entry.valueFrom.secretKeyRef;
      const secret = secrets.find((s) => s.type === TYPES.secret && k8sName(s) === ref.name);
      const value = secret?.inputs.stringData?.[ref.key];
      if (value === undefined) throw new Error(`env ${entry.name}: no declared Secret ${ref.name} with key ${ref.key}`);
      env[entry.name] = String(value);
    }
  }
  return env;
}

/** A Secret's or ConfigMap's keys as files in a folder of their own, as the kubelet mounts them. */
function filesFolder(prefix: string, files: Record<string, unknown> | undefined): string {
  const dir = tempDir(prefix);
  for (const [key, value] of Object.entries(files ?? {})) fs.writeFileSync(path.join(dir, key), String(value), { mode: 0o444 });
  fs.chmodSync(dir, 0o755);
  return dir;
}

export interface DeclaredContainer {
  /** The container name in Docker. */
  name: string;
  args: string[];
  /** The container's environment as resolved from the declared env (it reaches Docker in an env file). */
  env: Record<string, string>;
  /** Host folders standing in for the declared PVC volumes, by volume name. */
  volumeDirs: Record<string, string>;
}

/**
 * `docker run` arguments that reproduce a declared Deployment's container: resolved env (with `overrides`
 * applied last), Secret volumes written to files at their mount paths, PVCs as host folders, emptyDirs as
 * tmpfs (or the host folder `volumeDirs` names, to share one between containers of a pod), and the security
 * context as Docker flags. Host networking; `image` replaces the declared image.
 */
export function declaredRunArgs(
  deployment: Recorded,
  secrets: Recorded[],
  options: { image: string; overrides?: Record<string, string>; volumeDirs?: Record<string, string>; configMaps?: Recorded[]; hostPathDirs?: Record<string, string> },
): DeclaredContainer {
  const pod = deployment.inputs.spec.template.spec;
  const container = pod.containers[0];
  const name = `${TEST_LABEL}-${deployment.name}-${Math.random().toString(16).slice(2, 8)}`;
  const args = ["run", "-d", "--name", name, "--label", TEST_LABEL, "--network", "host"];
  const env = { ...resolveEnv(container, secrets, deployment.inputs.spec.template.metadata ?? {}), ...(options.overrides ?? {}) };
  // In a file, not `-e`: the suite's own command lines carry no credential either (tests watch them).
  const envFile = path.join(tempDir("container-env"), "env");
  for (const [key, value] of Object.entries(env)) {
    if (/[\r\n]/.test(value)) throw new Error(`env ${key}: a Docker env file cannot hold a line break`);
  }
  fs.writeFileSync(envFile, Object.entries(env).map(([key, value]) => `${key}=${value}\n`).join(""), { mode: 0o600 });
  args.push("--env-file", envFile);

  const sc = { ...pod.securityContext, ...container.securityContext };
  if (sc.runAsUser !== undefined) args.push("--user", `${sc.runAsUser}:${sc.runAsGroup ?? sc.runAsUser}`);
  if (sc.readOnlyRootFilesystem) args.push("--read-only");
  for (const cap of sc.capabilities?.drop ?? []) args.push("--cap-drop", cap);
  if (sc.allowPrivilegeEscalation === false) args.push("--security-opt", "no-new-privileges");

  const volumeDirs: Record<string, string> = { ...(options.volumeDirs ?? {}) };
  for (const mount of container.volumeMounts ?? []) {
    const volume = (pod.volumes ?? []).find((v: any) => v.name === mount.name);
    if (volume?.emptyDir && options.volumeDirs?.[mount.name]) {
      args.push("-v", `${options.volumeDirs[mount.name]}:${mount.mountPath}`);
    } else if (volume?.emptyDir) {
      args.push("--tmpfs", `${mount.mountPath}:mode=1777`);
    } else if (volume?.secret) {
      const secret = secrets.find((s) => s.type === TYPES.secret && k8sName(s) === volume.secret.secretName);
      if (!secret) throw new Error(`volume ${mount.name}: no declared Secret ${volume.secret.secretName}`);
      args.push("-v", `${filesFolder("secret-volume", secret.inputs.stringData)}:${mount.mountPath}:ro`);
    } else if (volume?.configMap) {
      const configMap = (options.configMaps ?? []).find((c) => k8sName(c) === volume.configMap.name);
      if (!configMap) throw new Error(`volume ${mount.name}: no declared ConfigMap ${volume.configMap.name}`);
      args.push("-v", `${filesFolder("configmap-volume", configMap.inputs.data)}:${mount.mountPath}:ro`);
    } else if (volume?.hostPath) {
      // The node's folder: a host folder the test names stands in for it.
      const dir = options.hostPathDirs?.[volume.hostPath.path];
      if (!dir) throw new Error(`volume ${mount.name}: hostPath ${volume.hostPath.path} has no stand-in folder in hostPathDirs`);
      args.push("-v", `${dir}:${mount.mountPath}`);
    } else if (volume?.persistentVolumeClaim) {
      volumeDirs[mount.name] ??= tempDir("pvc");
      fs.chownSync(volumeDirs[mount.name], sc.runAsUser ?? 0, sc.runAsGroup ?? 0);
      args.push("-v", `${volumeDirs[mount.name]}:${mount.mountPath}`);
    } else {
      throw new Error(`volume ${mount.name}: unsupported kind in ${JSON.stringify(volume)}`);
    }
  }
  args.push(options.image, ...(container.command ?? []), ...(container.args ?? []));
  return { name, args, env, volumeDirs };
}
