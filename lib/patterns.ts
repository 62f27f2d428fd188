/** Name grammars shared by config validation, scripts and tags, so each is written once. */

/** `host[:port]` as Docker names a registry (the port's range is checked apart). */
export const HOST_PORT = /^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/;

/** A Basic-auth (htpasswd) user name: no ':', its separator, and no whitespace. */
export const CREDENTIAL_USER = /^[^:\s]*$/;

/** A Kubernetes DNS label (namespaces, storage classes, app names). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** An image reference, optionally pinned by digest (`registry:2.8.3`, `repo/app@sha256:...`). */
export const IMAGE_REF = /^[a-z0-9][a-z0-9._\-/:]*(@sha256:[a-f0-9]{64})?$/;

/** Docker's tag grammar: at most 128 characters of [A-Za-z0-9_.-], not starting with '.' or '-'. */
export const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** The characters of a Kubernetes label value: empty, or alphanumeric at both ends with `-`, `_`, `.` between (at most 63 is checked apart). */
export const LABEL_VALUE_CHARS = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The annotation that says a Service is meant to be reachable from outside the cluster (apps[].service.expose). */
export const EXPOSE_ANNOTATION = "microk8s-pipeline/expose";
/**
 * The registry's conventional NodePort (the addon's and the managed registry's default): the one NodePort
 * the service-exposure policy lets through without the expose annotation, so prod config requires it.
 */
export const REGISTRY_NODE_PORT = 32000;

/**
 * The pod-template annotation that says why a workload needs the node itself (a hostPath, root): its value
 * is the reason. The security-context and host-path policies let such a workload through, and only it.
 */
export const NODE_ACCESS_ANNOTATION = "microk8s-pipeline/node-access";
