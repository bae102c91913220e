import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { candidateOffsets, mayContainKey, mayContainKeyBytes, NEEDLES } from "../../src/detect/prefilter.js";
import { SPLIT_HEADS, SPLIT_TAILS } from "../../src/detect/codec/concat.js";
import { BASE64_NEEDLES_2 } from "../../src/detect/codec/base64.js";

/** Every occurrence of every needle, one indexOf per needle: what the one-pass search must give. */
function reference(b: Buffer): number[] {
  const nul = b.subarray(0, 8000).includes(0);
  const out = new Set<number>();
  const word = (c: number | undefined) => c !== undefined && /[A-Za-z0-9]/.test(String.fromCharCode(c));
  for (const s of [...NEEDLES, ...SPLIT_TAILS, ...SPLIT_HEADS]) {
    if (s.includes("\0") && !nul) continue;
    const n = Buffer.from(s, "latin1");
    for (let i = b.indexOf(n); i !== -1; i = b.indexOf(n, i + 1)) if (!SPLIT_HEADS.includes(s) || !word(b[i - 1])) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

/** `bytes` at a chosen distance from a 4-byte boundary (the search reads aligned words). */
function at(bytes: Uint8Array, misalign: number): Buffer {
  const host = Buffer.alloc(bytes.length + 8);
  const start = ((4 - (host.byteOffset & 3)) & 3) + misalign;
  host.set(bytes, start);
  const b = host.subarray(start, start + bytes.length);
  expect(b.byteOffset & 3).toBe(misalign);
  return b;
}

const needles = [...NEEDLES, ...SPLIT_TAILS, ...SPLIT_HEADS];

describe("prefilter", () => {
  it("finds each needle at every offset and alignment", () => {
    for (const s of needles) {
      for (let misalign = 0; misalign < 4; misalign++) {
        for (const pos of [0, 1, 2, 3, 4, 5, 6, 7, 40, 41]) {
          const bytes = Buffer.concat([Buffer.from(" ".repeat(pos)), Buffer.from(s, "latin1"), Buffer.from(" ".repeat(pos % 5))]);
          const b = at(bytes, misalign);
          expect(candidateOffsets(b), `${JSON.stringify(s)} at ${pos}, misaligned by ${misalign}`).toContain(pos);
          expect(mayContainKeyBytes(b)).toBe(true);
        }
      }
      expect(mayContainKey(` ${s.replace(/\0/g, "\0")} `), JSON.stringify(s)).toBe(true);
    }
  });

  it("gives exactly what a search for each needle gives, on needle-rich noise", () => {
    const piece = fc.oneof(
      fc.constantFrom(...needles),
      fc.constantFrom(...needles).map((s) => s.slice(0, -1)),
      fc.constantFrom("A", "K", "I", "\0", '"', "'", "`", " ", "x", "\n", "%4", "\\u00"),
      fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a).toString("latin1")),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), fc.integer({ min: 0, max: 3 }), (parts, misalign) => {
        const b = at(Buffer.from(parts.join(""), "latin1"), misalign);
        const want = reference(b);
        expect(candidateOffsets(b)).toEqual(want);
        expect(mayContainKeyBytes(b)).toBe(want.length > 0);
        // With a limit the search may stop early, but only at real candidates.
        const some = candidateOffsets(b, 1);
        expect(some.length > 0).toBe(want.length > 0);
        for (const o of some) expect(want).toContain(o);
      }),
      { numRuns: 500 },
    );
  });

  it("includes doubly base64-encoded prefixes and prefixes cut by a concatenation", () => {
    expect(BASE64_NEEDLES_2.length).toBe(36);
    expect(mayContainKeyBytes(Buffer.from(`x = "AK" + "IA..."`))).toBe(true);
    expect(mayContainKeyBytes(Buffer.from(`x = "BREAK" + "..."`))).toBe(false);
  });

  it("passes clean text", () => {
    const text = "lorem ipsum dolor sit amet, consectetur adipiscing elit; const x = \"value\" + 'other';\n".repeat(2000);
    expect(candidateOffsets(Buffer.from(text))).toEqual([]);
    expect(mayContainKey(text)).toBe(false);
  });
});
