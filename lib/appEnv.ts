/** The Secret key for an env var, as the document names them: API_KEY -> api-key. */
export function secretKeyFor(envName: string): string {
  return envName.toLowerCase().replace(/_/g, "-");
}

/** Plain values first (sorted, so the spec is stable), then each secret name through secretKeyRef. */
export function appEnv<N>(plain: Record<string, string>, secretNames: string[], secretName: N) {
  return [
    ...Object.keys(plain)
      .sort()
      .map((name) => ({ name, value: plain[name] })),
    ...secretNames.map((name) => ({ name, valueFrom: { secretKeyRef: { name: secretName, key: secretKeyFor(name) } } })),
  ];
}
