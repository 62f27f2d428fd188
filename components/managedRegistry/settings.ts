/**
 * What the managed registry reads of its settings, declared here so the component owns its args: modes/
 * managed.ts validates config into this shape (its schema's type is checked against it where it creates
 * the component).
 */
import type { ContainerResources } from "../../lib/k8sSpec";
import type { RegistryReadinessArgs } from "../registryReadiness";
import type { RegistryGcSettings } from "../registryGc";
import type { RegistryRetentionSettings } from "../registryRetention";
import type { RegistryUiSettings } from "../registryUi";

export interface FilesystemStorage {
  type: "filesystem";
  size: string;
  storageClass?: string;
  /** `pulumi destroy` deletes the volume and its namespace; otherwise both are kept. */
  deleteOnDestroy: boolean;
}

export interface S3Storage {
  type: "s3";
  bucket: string;
  region: string;
  /** MinIO or another S3-compatible endpoint, with its scheme. */
  regionEndpoint?: string;
  secure: boolean;
  v4auth: boolean;
  rootDirectory?: string;
}

export interface ManagedRegistrySettings {
  namespace: string;
  /** Pinned; its tag is the version label. */
  image: string;
  replicas: number;
  nodePort: number;
  /** Where Docker on this machine pushes; the NodePort on localhost when absent. */
  host?: string;
  storage: FilesystemStorage | S3Storage;
  auth: { enabled: boolean; username: string; realm: string };
  /** Prometheus metrics on the debug port. */
  metrics: boolean;
  /** Namespaces whose pods may reach the debug port. */
  debugPortFrom: string[];
  resources: ContainerResources;
  ui: RegistryUiSettings & { enabled: boolean };
  gc: RegistryGcSettings & { enabled: boolean };
  retention: RegistryRetentionSettings & { enabled: boolean };
  tls: { enabled: boolean; validityDays: number; dockerCertsDir: string };
  readiness: RegistryReadinessArgs["readiness"];
}
