import * as pulumi from "@pulumi/pulumi";
import { parseScanSummary, ScanGate, scanScript, SeverityCounts, trivyIgnoreFile } from "../lib/scanScript";
import { shellCommand } from "../lib/shellCommand";

export interface ImageScanArgs {
  /** `repo@sha256:...` as pushed: the scan covers exactly that digest. */
  imageDigestRef: pulumi.Input<string>;
  /** Push credentials as a dockerconfigjson (a Pulumi secret); omitted for a registry without auth. */
  dockerConfigJson?: pulumi.Input<string>;
  /** The registry speaks plain HTTP (the addon, or a NodePort without TLS). */
  insecure: boolean;
  /** The registry's private CA (PEM), which Trivy then verifies it against. */
  registryCa?: pulumi.Input<string>;
  /** Threshold, accepted findings, and where Trivy and its database are. */
  settings: ScanGate;
}

/**
 * The vulnerability gate on a pushed digest (Trivy): findings at or above the threshold fail the update
 * before the workload runs it. It runs again when the digest or the gate's settings change, not otherwise.
 */
export class ImageScan extends pulumi.ComponentResource {
  public readonly scanned: pulumi.Resource;
  /** Findings by severity, all severities counted (those at the threshold are 0, or the update failed). */
  public readonly findings: pulumi.Output<SeverityCounts>;

  constructor(name: string, args: ImageScanArgs, opts?: pulumi.ComponentResourceOptions) {
    super("microk8s-pipeline:images:ImageScan", name, {}, opts);
    const script = scanScript(args.settings, { insecure: args.insecure });
    const ignoreFile = trivyIgnoreFile(args.settings.ignore);
    const scan = shellCommand(
      `${name}`,
      {
        script,
        triggers: [args.imageDigestRef, script, ignoreFile],
        environment: {
          IMAGE_DIGEST_REF: args.imageDigestRef,
          SCAN_IGNORE: ignoreFile,
          ...(args.dockerConfigJson ? { REGISTRY_DOCKER_CONFIG: pulumi.secret(args.dockerConfigJson) } : {}),
          ...(args.registryCa ? { REGISTRY_CA: args.registryCa } : {}),
        },
      },
      { parent: this },
    );
    this.scanned = scan;
    this.findings = scan.stdout.apply(parseScanSummary);
    this.registerOutputs({ findings: this.findings });
  }
}
