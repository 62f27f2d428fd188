/** The platform a build gets when config names none: the docker provider's own default, said explicitly. */
import { enginePlatform } from "../../lib/platform";

describe("enginePlatform", () => {
  test.each([
    ["x64", "linux/amd64"],
    ["arm64", "linux/arm64"],
    ["arm", "linux/arm"],
    ["ia32", "linux/386"],
    ["ppc64", "linux/ppc64le"],
    ["s390x", "linux/s390x"],
  ])("Node's %s is Go's %s", (arch, platform) => {
    expect(enginePlatform(arch)).toBe(platform);
  });

  test("defaults to the architecture this process runs on", () => {
    expect(enginePlatform()).toBe(enginePlatform(process.arch));
  });
});
