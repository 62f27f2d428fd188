/**
 * The managed registry's pod: its container (env, ports, probes, resources, security context) and each
 * volume paired with its mount, so one cannot be added without the other (as kx pairs them). Pure: the
 * names of the Secrets and the claim come in, the spec goes out.
 */
import type { ManagedRegistrySettings } from "./settings";
import { registryConfigPath } from "../../lib/imageRef";
import { containerSecurityContext, HOSTNAME_TOPOLOGY, httpProbe, podSecurityContext } from "../../lib/k8sSpec";
import { DATA_DIR, DRAIN_SECONDS, HTPASSWD_DIR, isStorageEnv, REGISTRY_DEBUG_PORT, REGISTRY_PORT, registryEnv, registryPortName, TLS_DIR } from "./registryEnv";

/** Long enough for the endpoints to drop the pod before it stops taking connections. */
const PRE_STOP_PAUSE_SECONDS = 5;

const REGISTRY_UID = 1000;

/** A volume and where the container mounts it. */
interface MountedVolume<N> {
  volume: { name: string; emptyDir?: object; secret?: { secretName: N; defaultMode: number }; persistentVolumeClaim?: { claimName: N } };
  mount: { name: string; mountPath: string; readOnly?: boolean };
}

export interface RegistryPodNames<N> {
  /** The Secret the env reads through secretKeyRef (HTTP secret, S3 keys). */
  envSecret: N;
  /** The htpasswd Secret, when auth is on. */
  authSecret?: N;
  /** The blobs' PersistentVolumeClaim, with filesystem storage. */
  dataClaim?: N;
  /** The `kubernetes.io/tls` Secret, with TLS on. */
  tlsSecret?: N;
}

function mountedVolumes<N>(names: RegistryPodNames<N>): MountedVolume<N>[] {
  return [
    // The root filesystem is read-only; uploads stage in /tmp.
    { volume: { name: "tmp", emptyDir: {} }, mount: { name: "tmp", mountPath: "/tmp" } },
    ...(names.authSecret !== undefined
      ? [{ volume: { name: "auth", secret: { secretName: names.authSecret, defaultMode: 0o440 } }, mount: { name: "auth", mountPath: HTPASSWD_DIR, readOnly: true } }]
      : []),
    ...(names.tlsSecret !== undefined
      ? [{ volume: { name: "tls", secret: { secretName: names.tlsSecret, defaultMode: 0o440 } }, mount: { name: "tls", mountPath: TLS_DIR, readOnly: true } }]
      : []),
    ...(names.dataClaim !== undefined
      ? [{ volume: { name: "data", persistentVolumeClaim: { claimName: names.dataClaim } }, mount: { name: "data", mountPath: DATA_DIR } }]
      : []),
  ];
}

/** The registry's pod spec. */
export function registryPodSpec<N>(settings: ManagedRegistrySettings, names: RegistryPodNames<N>) {
  const volumes = mountedVolumes(names);
  return {
    automountServiceAccountToken: false,
    securityContext: podSecurityContext(REGISTRY_UID),
    terminationGracePeriodSeconds: PRE_STOP_PAUSE_SECONDS + DRAIN_SECONDS + 5,
    containers: [
      {
        name: "registry",
        image: settings.image,
        imagePullPolicy: "IfNotPresent",
        ports: [
          { name: registryPortName(settings), containerPort: REGISTRY_PORT },
          { name: "debug", containerPort: REGISTRY_DEBUG_PORT },
        ],
        env: registryEnv(settings, names.envSecret),
        // /v2/ answers 401 with auth on; the debug server's health check needs no credentials.
        // Liveness tolerates a minute of storage trouble before restarting, readiness reacts at once.
        livenessProbe: httpProbe({ path: "/debug/health", port: "debug", initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 6 }),
        readinessProbe: httpProbe({ path: "/debug/health", port: "debug", initialDelaySeconds: 2, periodSeconds: 5 }),
        // The Service keeps sending for a moment after the pod is marked for deletion.
        lifecycle: { preStop: { exec: { command: ["sleep", String(PRE_STOP_PAUSE_SECONDS)] } } },
        resources: settings.resources,
        securityContext: containerSecurityContext(true),
        volumeMounts: volumes.map((v) => v.mount),
      },
    ],
    volumes: volumes.map((v) => v.volume),
  };
}

/**
 * Keeps pods on the node of the pods `selector` matches: a ReadWriteOnce volume attaches to one node, and
 * any pod there may mount it (a rolling update's second registry pod, the GC collector). The first pod
 * matches its own term, so it schedules anywhere.
 */
export function sameNodeAs(selector: Record<string, string>) {
  return {
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: selector }, topologyKey: HOSTNAME_TOPOLOGY }],
    },
  };
}

/**
 * The GC collector: the registry's own image with its storage settings and data volume (no auth, no HTTP
 * secret, no ports), the volumes it mounts, and where that image keeps its config.yml. The GC adds its
 * command and the folder it shares with the window.
 */
export function collectorSpec<N>(settings: ManagedRegistrySettings, names: Pick<RegistryPodNames<N>, "envSecret" | "dataClaim">) {
  const volumes = mountedVolumes({ envSecret: names.envSecret, dataClaim: names.dataClaim });
  return {
    container: {
      name: "collect",
      image: settings.image,
      imagePullPolicy: "IfNotPresent",
      env: registryEnv(settings, names.envSecret).filter(isStorageEnv),
      resources: settings.resources,
      securityContext: containerSecurityContext(true),
      volumeMounts: volumes.map((v) => v.mount),
    },
    volumes: volumes.map((v) => v.volume),
    runAsUser: REGISTRY_UID,
    configPath: registryConfigPath(settings.image),
  };
}
