/** A workload that passes every policy; each test changes one thing in a copy of it. */
export const DIGEST = `localhost:32000/production/web@sha256:${"a".repeat(64)}`;

export function goodDeployment(): Record<string, any> {
  return {
    metadata: { name: "web" },
    spec: {
      template: {
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 1000 },
          containers: [
            {
              name: "web",
              image: DIGEST,
              imagePullPolicy: "IfNotPresent",
              env: [
                { name: "LOG_LEVEL", value: "info" },
                { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "web-secrets", key: "db-password" } } },
                { name: "REGISTRY_AUTH_HTPASSWD_PATH", value: "/auth/htpasswd" },
              ],
              livenessProbe: { httpGet: { path: "/health", port: "http" } },
              readinessProbe: { httpGet: { path: "/ready", port: "http" } },
              resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
            },
          ],
        },
      },
    },
  };
}

export const containerOf = (deployment: Record<string, any>) => deployment.spec.template.spec.containers[0];

/** A copy of `make()` with `change` applied. */
export function changed(make: () => Record<string, any>, change: (copy: Record<string, any>) => void): Record<string, any> {
  const copy = make();
  change(copy);
  return copy;
}
