// Keys split across string literals: `"AKIA" + "…"`, Python implicit/backslash
// concatenation, JS `+` across lines, PHP `.`, Lua `..`, VB `&`, SQL `||`, and a
// few more operators. The cut may fall inside the prefix itself (`"AK" + "IA…"`).
import type { Codec } from "./types.js";
import { KEY_PREFIXES } from "../rules.js";
import { Rewrite } from "./rewrite.js";

const LITERAL = /"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\]|\\.)*)`/g;
// The next literal may carry a prefix: C# @"…"/$"…", Python r'…'/b'…'/f'…'.
// Operators: + . .. & || and Haskell/Erlang ++, Elixir <>, OCaml ^, D ~.
const JOINER = /^(?:\s|\\\r?\n)*(?:\+\+?|\.\.?|&|\|\||<>|\^|~)?(?:\s|\\\r?\n)*(?:@|\$|[rRbBuUfF]{1,2})?$/;

// Items of a list that a call joins: Python `"".join([…])`, JS `[…].join("")`, Go
// `strings.Join([]string{…}, "")`, Java `String.join("", …)`, PHP `implode('', […])`, SQL
// `CONCAT(…)`. Elsewhere a comma separates values, which are not joined.
const LIST_SEP = /^\s*,\s*$/;
const JOIN_BEFORE = /(?:\bjoin|\bJoin|\bimplode|\bconcat(?:_ws)?|\bCONCAT(?:_WS)?)\s*\(\s*(?:(?:"[^"]*"|'[^']*')\s*,\s*)?(?:\[\]string\s*\{|\[|\(|array\s*\()?\s*$/;
const JOIN_AFTER = /^\s*[\])]\s*\.\s*join\s*\(/;

const QUOTES = ['"', "'", "`"];
const HEADS = KEY_PREFIXES.flatMap((p) => [p.slice(0, 2), p.slice(0, 3)]);
const TAILS = KEY_PREFIXES.map((p) => p.slice(1));
/** A prefix cut after 2 or 3 characters, seen from the literal it starts: `AK"`, `AKI'`. */
export const SPLIT_HEADS: string[] = HEADS.flatMap((h) => QUOTES.map((q) => h + q));
/** A prefix cut after its first character, seen from the literal that goes on: `"KIA`. */
export const SPLIT_TAILS: string[] = TAILS.flatMap((t) => QUOTES.map((q) => q + t));

/**
 * The same as a regular expression; heads only at the start of a word (`BREAK"` is not
 * `AK"`). A tail's quote is checked after the tail: an alternative starting with a quote
 * would make the prefilter's regular expression stop at every quote of a text.
 */
export const SPLIT_SOURCE = `(?<![A-Za-z0-9])(?:${HEADS.join("|")})["'\`]|(?:${TAILS.join("|")})(?<=["'\`][A-Z]{3})`;
const SPLIT = new RegExp(SPLIT_SOURCE, "g");

interface Lit {
  start: number;
  end: number;
  content: number;
  value: string;
}

/** The last item of a joined list starting at lits[i], or i when lits[i] starts none. */
function joinedList(window: string, lits: Lit[], i: number): number {
  let j = i;
  while (j + 1 < lits.length && LIST_SEP.test(window.slice(lits[j]!.end, lits[j + 1]!.start))) j++;
  if (j === i) return i;
  const before = window.slice(Math.max(0, lits[i]!.start - 40), lits[i]!.start);
  const after = window.slice(lits[j]!.end, lits[j]!.end + 20);
  return JOIN_BEFORE.test(before) || JOIN_AFTER.test(after) ? j : i;
}

export const concat: Codec = {
  name: "concat",
  triggers(text, ctx) {
    const out = ctx.prefixOffsets.filter((o) => {
      const before = text.charCodeAt(o - 1);
      return before === 34 || before === 39 || before === 96 || text.slice(o, o + 21).search(/["'`]/) !== -1;
    });
    SPLIT.lastIndex = 0;
    for (let m = SPLIT.exec(text); m; m = SPLIT.exec(text)) out.push(m.index);
    return out.sort((a, b) => a - b);
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
      if (j === i) j = joinedList(window, lits, i);
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
