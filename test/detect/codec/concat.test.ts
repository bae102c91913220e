import { describe, expect, it } from "vitest";
import { concat } from "../../../src/detect/codec/concat.js";

describe("concat codec", () => {
  it("joins JS + across lines, Python implicit and backslash continuation, PHP dot", () => {
    expect(concat.decode(`k = "AK" +\n   "IA";`)!.text).toBe(`k = "AKIA";`);
    expect(concat.decode(`k = ('AK'\n 'IA')`)!.text).toBe(`k = ('AKIA')`);
    expect(concat.decode(`k = 'AK' \\\n 'IA'`)!.text).toBe(`k = 'AKIA'`);
    expect(concat.decode(`$k = 'AK' . 'IA';`)!.text).toBe(`$k = 'AKIA';`);
  });
  it("does not join list items or separate statements", () => {
    expect(concat.decode(`["a", "b"]`)).toBeNull();
    expect(concat.decode(`x = "a"\ny = "b"`)).toBeNull();
  });
  it("maps joined chars back to their literal", () => {
    const src = `"AB" + "CD"`;
    const d = concat.decode(src)!;
    expect(d.text).toBe(`"ABCD"`);
    expect([...d.map].slice(1, 5).map((i) => src[i])).toEqual(["A", "B", "C", "D"]);
  });
});
