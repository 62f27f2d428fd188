/**
 * The platform a build gets when its config names none: Linux on the architecture `pulumi up` runs on,
 * which is what the docker provider picks then (linux/<GOARCH>). Setting it keeps the provider from
 * printing its "Building your image for ... consider explicitly setting the `platform` field" note on
 * every preview, and keeps the same image (the provider's checked inputs are unchanged).
 */

/** Node's process.arch as Go names it (GOARCH), for the architectures Docker builds for. */
const GOARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64", loong64: "loong64" };

export function enginePlatform(arch: string = process.arch): string {
  return `linux/${GOARCH[arch] ?? arch}`;
}
