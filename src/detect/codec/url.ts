// Percent-encoding: secrets in URLs (`https://ID:SECRET@host`, `s3://…`) carry `/` and `+` as %2F / %2B.
import type { Codec } from "./types.js";
import { indexAll, rewriteMatches } from "./rewrite.js";

const PCT = /%[0-9A-Fa-f]{2}/g;

export const url: Codec = {
  name: "url",
  triggers(text, ctx) {
    if (text.indexOf("%") === -1) return [];
    const out = [...ctx.prefixOffsets];
    // A key ID percent-encoded in full: %41%4B%49%41 …
    indexAll(text, "%41%4B", out);
    indexAll(text, "%41%53", out);
    indexAll(text, "%41%42", out);
    indexAll(text, "%41%43", out);
    return out.sort((a, b) => a - b);
  },
  decode(window) {
    return rewriteMatches(window, PCT, (m) => {
      const c = parseInt(m[0].slice(1), 16);
      if (c < 0x20 && c !== 10 && c !== 13 && c !== 9) return null;
      if (c > 0x7e) return null;
      const start = m.index;
      return { text: String.fromCharCode(c), at: () => start };
    });
  },
};
