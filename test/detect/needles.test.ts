import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { NeedleSet } from "../../src/detect/needles.js";

/** Every occurrence of every needle, one indexOf each: what the one-pass search must give. */
function reference(text: string, needles: string[]): number[] {
  const out = new Set<number>();
  for (const n of needles) for (let i = text.indexOf(n); i !== -1; i = text.indexOf(n, i + 1)) out.add(i);
  return [...out].sort((a, b) => a - b);
}

describe("NeedleSet", () => {
  it("finds what indexOf finds, at odd and even offsets, overlapping, next to non-Latin-1 text", () => {
    const needleArb = fc.string({ unit: fc.constantFrom("Q", "U", "t", "J", "\n", "\r", "a", "é"), minLength: 3, maxLength: 6 });
    fc.assert(
      fc.property(fc.array(needleArb, { minLength: 1, maxLength: 20 }), fc.array(fc.constantFrom("Q", "U", "t", "J", "\n", "\r", "a", "é", "€", "x"), { maxLength: 300 }), (needles, chars) => {
        const text = chars.join("");
        expect(new NeedleSet(needles).find(text)).toEqual(reference(text, needles));
      }),
      { numRuns: 500 },
    );
  });

  it("refuses needles it cannot index", () => {
    expect(() => new NeedleSet(["ab"])).toThrow(/at least 3/);
    expect(() => new NeedleSet(["a€c"])).toThrow(/Latin-1/);
  });
});
