// Keys split across string literals: `"AKIA" + "…"`, Python implicit/backslash
// concatenation, JS `+` across lines, PHP `.`, VB `&`, SQL `||`.
import type { Codec } from "./types.js";
import { Rewrite } from "./rewrite.js";

const LITERAL = /"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\]|\\.)*)`/g;
// The next literal may carry a prefix: C# @"…"/$"…", Python r'…'/b'…'/f'…'.
const JOINER = /^(?:\s|\\\r?\n)*(?:\+|\.|&|\|\||\.\.)?(?:\s|\\\r?\n)*(?:@|\$|[rRbBuUfF]{1,2})?$/;

interface Lit {
  start: number;
  end: number;
  content: number;
  value: string;
}

export const concat: Codec = {
  name: "concat",
  triggers(text, ctx) {
    if (ctx.prefixOffsets.length === 0) return [];
    return ctx.prefixOffsets.filter((o) => {
      const before = text.charCodeAt(o - 1);
      return before === 34 || before === 39 || before === 96 || text.slice(o, o + 21).search(/["'`]/) !== -1;
    });
  },
  decode(window) {
    const lits: Lit[] = [];
    LITERAL.lastIndex = 0;
    for (let m = LITERAL.exec(window); m; m = LITERAL.exec(window)) {
      lits.push({ start: m.index, end: m.index + m[0].length, content: m.index + 1, value: m[1] ?? m[2] ?? m[3] ?? "" });
    }
    const rw = new Rewrite(window);
    let last = 0;
    for (let i = 0; i < lits.length; ) {
      let j = i;
      while (j + 1 < lits.length && JOINER.test(window.slice(lits[j]!.end, lits[j + 1]!.start))) j++;
      if (j > i) {
        const first = lits[i]!;
        rw.copy(last, first.start + 1);
        for (let k = i; k <= j; k++) {
          const l = lits[k]!;
          rw.emit(l.value, (x) => l.content + x);
        }
        last = lits[j]!.end - 1;
      }
      i = j + 1;
    }
    rw.copy(last, window.length);
    return rw.result();
  },
};
