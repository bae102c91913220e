// UTF-16 text seen as bytes/latin1: "A\0K\0I\0A\0" (LE) or "\0A\0K\0I\0A" (BE),
// e.g. UTF-16 strings inside Windows binaries or a UTF-16 file without BOM.
import type { Codec } from "./types.js";
import { KEY_PREFIXES } from "../rules.js";
import { indexAll, rewriteMatches } from "./rewrite.js";

const NEEDLES = KEY_PREFIXES.map((p) => p.slice(1).split("").join("\0"));
// Runs of at least 8 printable ASCII chars each followed by a NUL.
const LE = /(?:[\t\n\r\x20-\x7e]\0){8,}/g;

export const utf16: Codec = {
  name: "utf16",
  triggers(text) {
    if (text.indexOf("\0") === -1) return [];
    const out: number[] = [];
    for (const n of NEEDLES) indexAll(text, n, out);
    return out.sort((a, b) => a - b);
  },
  decode(window) {
    return rewriteMatches(window, LE, (m) => {
      const start = m.index;
      let t = "";
      for (let i = 0; i < m[0].length; i += 2) t += m[0][i];
      // Big-endian text ("\0X\0Y\0Z") matches from X; the leading NUL and the final Z are kept as they are.
      // Otherwise a space keeps a neighbouring byte from gluing onto the run: .NET's string heap
      // puts each string's length just before it, and a 40-character string's length byte is "Q".
      const end = start + m[0].length;
      const before = start > 0 && window[start - 1] !== "\0" ? " " : "";
      const after = end < window.length && !/[\x20-\x7e]/.test(window[end]!) ? " " : "";
      const lead = before.length;
      return { text: before + t + after, at: (j) => start + 2 * Math.max(0, Math.min(j - lead, t.length - 1)) };
    });
  },
};

/** The encoding a UTF-16 byte-order mark at the start of `bytes` names, if there is one. */
export function utf16Bom(bytes: Uint8Array): "utf-16le" | "utf-16be" | undefined {
  if (bytes.length < 2) return undefined;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  return undefined;
}

/** Decode a byte buffer that starts with a UTF-16 BOM; undefined when there is none. */
export function decodeUtf16Bom(bytes: Uint8Array): string | undefined {
  const enc = utf16Bom(bytes);
  return enc && new TextDecoder(enc).decode(bytes.subarray(2));
}
