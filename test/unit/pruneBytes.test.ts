import { bytesFreed, ManifestFacts, manifestFacts } from "../../prune/bytes";
import type { PlanEntry } from "../../prune/plan";

const d = (c: string) => `sha256:${c.repeat(64)}`;
const entry = (repo: string, tag: string, digest: string, action: PlanEntry["action"]): PlanEntry => ({ repo, tag, digest, action, why: "" });
const image = (size: number, ...blobs: [string, number][]): ManifestFacts => ({ size, blobs: blobs.map(([digest, s]) => ({ digest, size: s })), children: [] });

describe("bytes freed after GC (registry-prune --count-bytes)", () => {
  const layer: [string, number] = [d("f"), 1000];

  test("a deleted image frees its manifest and config; a layer a kept image shares stays", () => {
    const facts = new Map([
      [`a@${d("1")}`, image(300, [d("c"), 50], layer)],
      [`a@${d("2")}`, image(310, [d("e"), 60], layer)],
    ]);
    const plan = [entry("a", "1.0.0", d("1"), "delete-manifest"), entry("a", "2.0.0", d("2"), "keep")];
    expect(bytesFreed(plan, facts)).toBe(300 + 50);
  });

  test("the same manifest kept in another repository frees nothing; a tag deleted alone frees nothing", () => {
    const facts = new Map([
      [`a@${d("1")}`, image(300, [d("c"), 50], layer)],
      [`b@${d("1")}`, image(300, [d("c"), 50], layer)],
    ]);
    expect(bytesFreed([entry("a", "1.0.0", d("1"), "delete-manifest"), entry("b", "1.0.0", d("1"), "keep")], facts)).toBe(0);
    expect(bytesFreed([entry("a", "1.0.0", d("1"), "delete-tag"), entry("a", "latest", d("1"), "keep")], facts)).toBe(0);
  });

  test("a deleted index frees its platform manifests too, unless a kept index lists one", () => {
    const index = (children: string[]): ManifestFacts => ({ size: 500, blobs: [], children });
    const facts = new Map<string, ManifestFacts>([
      [`a@${d("9")}`, index([d("3"), d("4")])],
      [`a@${d("8")}`, index([d("4")])],
      [`a@${d("3")}`, image(200, [d("5"), 20], layer)],
      [`a@${d("4")}`, image(210, [d("6"), 30], layer)],
    ]);
    expect(bytesFreed([entry("a", "1.0.0", d("9"), "delete-manifest")], facts)).toBe(500 + 200 + 20 + 210 + 30 + 1000);
    expect(bytesFreed([entry("a", "1.0.0", d("9"), "delete-manifest"), entry("a", "2.0.0", d("8"), "keep")], facts)).toBe(500 + 200 + 20);
  });

  test("manifestFacts reads an image's config and layers and an index's manifests, checking each digest", () => {
    expect(manifestFacts({ config: { digest: d("c"), size: 5 }, layers: [{ digest: d("f"), size: 7 }] }, 99, "x")).toEqual({ size: 99, blobs: [{ digest: d("c"), size: 5 }, { digest: d("f"), size: 7 }], children: [] });
    expect(manifestFacts({ manifests: [{ digest: d("3") }] }, 10, "x").children).toEqual([d("3")]);
    expect(() => manifestFacts({ layers: [{ digest: "sha256:../../x", size: 1 }] }, 1, "reading a@x")).toThrow();
    expect(manifestFacts({ config: { digest: d("c"), size: -4 } }, 1, "x").blobs).toEqual([{ digest: d("c"), size: 0 }]);
  });
});
