import type { EnforcementLevel, ResourceValidationPolicy } from "@pulumi/policy";
import { environmentSchema, isProd } from "../environment";
import { isDigestPinned, isFloating } from "../../lib/imageRef";
import { containersOf } from "../workloads";


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
        } else if (prod && !isDigestPinned(image)) {
          reportViolation(`${label} runs "${image}" in prod: deploy by digest (repo@sha256:...)`);
        }
      }
    },
  };
}
