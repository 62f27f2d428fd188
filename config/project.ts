/** The project's name (the prefix of every config key) and the environments a stack can be. */
export const PROJECT = "microk8s-pipeline";
export const ENVIRONMENTS = ["dev", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
