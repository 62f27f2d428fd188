/**
 * Kubernetes resource quantities, validated before they reach the API server so that a typo such as
 * `128MB` fails at `pulumi preview` with the key that holds it, not minutes later in a rollout.
 */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const BYTES_PATTERN = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const CPU_PATTERN = /^(?:([0-9]+)m|([0-9]+(?:\.[0-9]{1,3})?))$/;

export const BYTES_ALLOWED = "a Kubernetes quantity such as 128Mi, 1Gi or 500M (suffixes Ki Mi Gi Ti Pi Ei k M G T P E)";
export const CPU_ALLOWED = "a Kubernetes CPU quantity such as 100m, 0.5 or 2";

/** Bytes in a memory or storage quantity, or undefined when it is not one. */
export function parseBytes(quantity: string): number | undefined {
  const match = BYTES_PATTERN.exec(quantity);
  if (!match) return undefined;
  const unit = match[2] ?? "";
  const factor = BINARY[unit] ?? DECIMAL[unit];
  return factor === undefined ? undefined : Number(match[1]) * factor;
}

/** Millicores in a CPU quantity, or undefined when it is not one. */
export function parseMillicores(quantity: string): number | undefined {
  const match = CPU_PATTERN.exec(quantity);
  if (!match) return undefined;
  return match[1] !== undefined ? Number(match[1]) : Math.round(Number(match[2]) * 1000);
}
