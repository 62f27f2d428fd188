/**
 * What a test knows of one declared resource, and the helpers that read it; free of Jest and of the mocks,
 * so the e2e harness and the benchmarks can use them too.
 */
import { createHash } from "crypto";

export interface Recorded {
  type: string;
  name: string;
  custom: boolean;
  /** Inputs with Pulumi secrets unwrapped to their values. */
  inputs: Record<string, any>;
  /** Dotted paths of the inputs that arrived as Pulumi secrets. */
  secretPaths: string[];
  /** Logical names of the resources it depends on (dependsOn and input dependencies). */
  dependsOn: string[];
  /** The resource options that decide what a replace or a delete does to it. */
  options: { retainOnDelete?: boolean; deleteBeforeReplace?: boolean; protect?: boolean };
}

/** The engine's wire form of a secret value: `{ [WIRE_SECRET_KEY]: WIRE_SECRET_SIG, value }`. */
export const WIRE_SECRET_KEY = "4dabf18193072939515e22adb298388d";
export const WIRE_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const wireSecret = (value: unknown) => ({ [WIRE_SECRET_KEY]: WIRE_SECRET_SIG, value });
export const isWireSecret = (value: any): value is { value: unknown } => typeof value === "object" && value !== null && value[WIRE_SECRET_KEY] === WIRE_SECRET_SIG;

export const hexOf = (text: string, length: number) => createHash("sha256").update(text).digest("hex").slice(0, length);

/** The name the mocks give an auto-named Kubernetes object, as the provider adds a random suffix. */
export const autoName = (logicalName: string) => `${logicalName}-${hexOf(logicalName, 8)}`;

/** metadata.name of a recorded Kubernetes object, as the cluster would see it. */
export const k8sName = (r: Recorded): string => r.inputs.metadata?.name ?? autoName(r.name);

export const TYPES = {
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  secret: "kubernetes:core/v1:Secret",
  configMap: "kubernetes:core/v1:ConfigMap",
  namespace: "kubernetes:core/v1:Namespace",
  pvc: "kubernetes:core/v1:PersistentVolumeClaim",
  localCommand: "command:local:Command",
  remoteCommand: "command:remote:Command",
  image: "docker:index/image:Image",
} as const;
