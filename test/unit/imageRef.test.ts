import { isDigestPinned, isDistributionImage, isFloating, parse, registryMajorVersion } from "../../lib/imageRef";

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("image references", () => {
  test.each([
    ["registry:2.8.3", { repository: "registry", tag: "2.8.3", digest: undefined }],
    [`registry:2.8.3@${DIGEST}`, { repository: "registry", tag: "2.8.3", digest: DIGEST }],
    ["mirror.example.invalid:5000/library/registry:3.0.0", { repository: "mirror.example.invalid:5000/library/registry", tag: "3.0.0", digest: undefined }],
    ["localhost:32000/dev/web", { repository: "localhost:32000/dev/web", tag: undefined, digest: undefined }],
    [`registry@${DIGEST}`, { repository: "registry", tag: undefined, digest: DIGEST }],
  ])("parse(%s)", (image, ref) => expect(parse(image)).toEqual(ref));

  test.each([
    ["registry:2.8.3", 2],
    ["registry:3.0.0", 3],
    ["registry:v3.1.2", 3],
    ["mirror.example.invalid:5000/library/registry:3.0.0-rc.1", 3],
    [`registry@${DIGEST}`, 2],
  ])("major version of %s is %i", (image, major) => expect(registryMajorVersion(image)).toBe(major));

  test.each([
    ["localhost:32000/dev/web", true],
    ["localhost:32000/dev/web:latest", true],
    ["localhost:32000/dev/web:1.0.0", false],
    [`localhost:32000/dev/web@${DIGEST}`, false],
    [`localhost:32000/dev/web:latest@${DIGEST}`, false],
  ])("%s floats: %s", (image, floating) => expect(isFloating(image)).toBe(floating));

  test.each([
    [`web@${DIGEST}`, true],
    ["web:1.0.0", false],
    ["web@sha256:abc", false],
  ])("%s is digest-pinned: %s", (image, pinned) => expect(isDigestPinned(image)).toBe(pinned));

  test.each([
    ["registry:2.8.3", true],
    ["docker.io/library/registry:2", true],
    [`distribution/distribution:3.0.0@${DIGEST}`, true],
    ["joxit/docker-registry-ui:2.5.7", false],
    ["localhost:32000/team/registry-ui:1", false],
  ])("%s is the Distribution registry: %s", (image, distribution) => expect(isDistributionImage(image)).toBe(distribution));
});
