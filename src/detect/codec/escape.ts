// Backslash and entity escapes: JSON `\/`, `\n`-escaped blobs, `\u0041`, `\x41`, HTML `&#x2F;`.
import type { Codec } from "./types.js";
import { indexAll, rewriteMatches } from "./rewrite.js";

const ESC = /\\(?:u\{([0-9A-Fa-f]{1,6})\}|u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2})|([\\/"'nrtbf0]))|&#(?:x([0-9A-Fa-f]{1,4})|([0-9]{1,5}));/g;

const SIMPLE: Record<string, string> = { n: "\n", r: "\r", t: "\t", b: "\b", f: "\f", "0": "\0" };

export const escape: Codec = {
  name: "escape",
  triggers(text, ctx) {
    if (text.indexOf("\\") === -1 && text.indexOf("&#") === -1) return [];
    const out = [...ctx.prefixOffsets];
    for (const n of ["\\u0041", "\\x41", "&#65;", "&#x41;"]) indexAll(text, n, out);
    return out.sort((a, b) => a - b);
  },
  decode(window) {
    return rewriteMatches(window, ESC, (m) => {
      const hex = m[1] ?? m[2] ?? m[3] ?? m[5];
      let ch: string;
      if (hex !== undefined) ch = String.fromCodePoint(parseInt(hex, 16));
      else if (m[6] !== undefined) ch = String.fromCodePoint(Math.min(parseInt(m[6], 10), 0x10ffff));
      else ch = SIMPLE[m[4]!] ?? m[4]!;
      const start = m.index;
      return { text: ch, at: () => start };
    });
  },
};
