import { STACK_LABEL, stackLabelValue } from "../../lib/stackLabel";
import { evaluate } from "../harness";

describe("stackLabelValue", () => {
  test.each([
    ["dev", "dev"],
    ["prod", "prod"],
    ["team-a.prod_2", "team-a.prod_2"],
  ])("a stack name that is a valid label value is kept: %s", (stack, value) => expect(stackLabelValue(stack)).toBe(value));

  test.each(["-dev", "dev_", "x".repeat(64), "._"])("any other stack name becomes a stable hash that is a valid label value: %s", (stack) => {
    const value = stackLabelValue(stack);
    expect(value).toMatch(/^s-[0-9a-f]{40}$/);
    expect(stackLabelValue(stack)).toBe(value);
    expect(stackLabelValue(`${stack}x`)).not.toBe(value);
  });
});

/** Every pod template in a recorded object's spec (Deployments, CronJobs' job templates). */
function podTemplates(spec: any): any[] {
  if (!spec || typeof spec !== "object") return [];
  return [...(spec.template ? [spec.template] : []), ...Object.values(spec).flatMap(podTemplates)];
}

describe.each(["dev", "prod"])("%s: every Kubernetes object carries the stack label", (stack) => {
  test("on its own metadata, and on no pod template (adding it rolls no workload)", async () => {
    const { resources } = await evaluate(stack);
    const objects = resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(objects.length).toBeGreaterThan(2);
    for (const r of objects) expect({ name: r.name, label: r.inputs.metadata?.labels?.[STACK_LABEL] }).toEqual({ name: r.name, label: stack });
    const templates = objects.flatMap((r) => podTemplates(r.inputs.spec));
    expect(templates.length).toBeGreaterThan(0);
    for (const t of templates) expect(t.metadata?.labels?.[STACK_LABEL]).toBeUndefined();
  });
});
