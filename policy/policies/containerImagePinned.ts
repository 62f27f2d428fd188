import type { EnforcementLevel, ResourceValidationPolicy } from "@pulumi/policy";
import { environmentSchema, isProd } from "../environment";
import { containersOf } from "../workloads";

/** `:latest` or no tag at all: the image can change under the same name. */
export function isFloating(image: string): boolean {
  if (image.includes("@sha256:")) return false;
  const last = image.split("/").pop() ?? image;
  return !last.includes(":") || last.endsWith(":latest");
}

/** No image that can change under a node's cache; in prod, every image by digest. */
export function containerImagePinned(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "container-image-pinned",
    description: "Containers do not run :latest or untagged images with IfNotPresent; in prod they run images by digest.",
    enforcementLevel,
    configSchema: environmentSchema,
    validateResource: (args, reportViolation) => {
      const prod = isProd(args);
      for (const { label, container } of containersOf(args.type, args.props)) {
        const image = container.image ?? "";
        if (isFloating(image) && container.imagePullPolicy === "IfNotPresent") {
          reportViolation(`${label} runs "${image}" with imagePullPolicy IfNotPresent: nodes keep whatever they pulled first; pin a version or digest`);
        } else if (prod && !image.includes("@sha256:")) {
          reportViolation(`${label} runs "${image}" in prod: deploy by digest (repo@sha256:...)`);
        }
      }
    },
  };
}
