// Quoted-printable mail bodies (RFC 2045): `=` is written `=3D` (gluing `aws_access_key_id=3DAKIA…`),
// some encoders write `/` and `+` as `=2F` and `=2B`, and lines longer than 76 are cut by a soft
// break (`=` at the end of a line) that may fall inside a key or a secret.
import type { Codec } from "./types.js";
import { KEY_PREFIXES } from "../rules.js";
import { indexAll, rewriteMatches } from "./rewrite.js";

/**
 * What is decoded: soft breaks (not base64 padding `==`), and the escapes that matter for keys
 * (`=20` is left alone: `TIMEOUT=20` is everywhere, and a space at a line's end matters not).
 */
const QP = /(?<!=)=\r?\n|=(?:3[Dd]|2[FfBb])/g;
const ESCAPES = ["=3D", "=2F", "=2B"];
/** A soft break ending a long prose line (base64 has no spaces, and wraps its padding line short). */
const PROSE_SOFT_BREAK = /^(?=[^\n]* )[^\n]{60,}[^=\n]=\r?$/;

/** Whether a line ending in `=` is a long prose line; only those lines are looked at. */
function hasProseSoftBreak(text: string): boolean {
  for (const eol of ["=\n", "=\r\n"]) {
    for (let i = text.indexOf(eol); i !== -1; i = text.indexOf(eol, i + eol.length)) {
      const start = text.lastIndexOf("\n", i - 1) + 1;
      if (i - start >= 60 && PROSE_SOFT_BREAK.test(text.slice(start, i + eol.length - 1))) return true;
    }
  }
  return false;
}

function looksQuotedPrintable(text: string): boolean {
  if (ESCAPES.some((e) => text.includes(e))) return true;
  if ((text.includes("uoted-") || text.includes("UOTED-")) && /quoted-printable/i.test(text)) return true;
  return hasProseSoftBreak(text);
}

/**
 * Key prefixes cut by a soft break (`AK=\nIA`), which the plain search cannot see. The byte
 * prefilter does not know them yet (src/detect/prefilter.ts would need them too).
 */
export const QP_NEEDLES: string[] = KEY_PREFIXES.flatMap((p) =>
  [1, 2, 3].flatMap((k) => ["=\n", "=\r\n"].map((eol) => p.slice(0, k) + eol + p.slice(k))),
);

export const qp: Codec = {
  name: "qp",
  triggers(text, ctx) {
    if (!looksQuotedPrintable(text)) return [];
    const out = [...ctx.prefixOffsets];
    for (const n of QP_NEEDLES) indexAll(text, n, out);
    return out.sort((a, b) => a - b);
  },
  decode(window) {
    return rewriteMatches(window, QP, (m) => {
      const start = m.index;
      if (m[0].charCodeAt(1) === 13 || m[0].charCodeAt(1) === 10) return { text: "", at: () => start };
      return { text: String.fromCharCode(parseInt(m[0].slice(1), 16)), at: () => start };
    });
  },
};
