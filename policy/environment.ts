import type { PolicyConfigSchema } from "@pulumi/policy";

/** The policies whose rule differs in prod read the environment from the policy pack config. */
export const environmentSchema: PolicyConfigSchema = {
  properties: { environment: { type: "string", enum: ["dev", "prod"], default: "dev" } },
};

export const isProd = (args: { getConfig<T extends object>(): T }) => args.getConfig<{ environment?: string }>().environment === "prod";
