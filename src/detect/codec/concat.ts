// Keys split across string literals: `"AKIA" + "…"`, Python implicit/backslash
// concatenation, JS `+` across lines, PHP `.`, Lua `..`, VB `&` (and `& _` across lines), SQL
// `||`, a few more operators, `.concat(…)`/`.append(…)` chains and calls that join a list. The
// cut may fall inside the prefix itself (`"AK" + "IA…"`). A backslash-newline inside a
// double-quoted literal (shell, C, Python) continues it: a wrapped session token comes out whole.
import type { Codec } from "./types.js";
import { KEY_PREFIXES } from "../rules.js";
import { Rewrite } from "./rewrite.js";

const LITERAL = /"((?:[^"\\\n]|\\\r?\n|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\]|\\.)*)`/g;
const CONTINUATION = /\\\r?\n/g;
// Between two literals: white space, line continuations (`\` C/Python/shell, ` _` VB), an
// operator, and a prefix the next literal may carry (C# @"…"/$"…", Python r'…'/b'…'/f'…').
// Operators: + . .. & || and Haskell/Erlang ++, Elixir <>, OCaml ^, D ~, and the calls
// `"a".concat("b")` (JS), `.append("a").append("b")` (Java's StringBuilder).
const GAP = String.raw`(?:\s|\\\r?\n|\s_\r?\n)*`;
const OPERATOR = String.raw`(?:\+\+?|\.\.?|&|\|\||<>|\^|~|\)?\s*\.\s*(?:concat|append)\s*\()`;
const JOINER = new RegExp(`^${GAP}${OPERATOR}?${GAP}(?:@|\\$|[rRbBuUfF]{1,2})?$`);

// Items of a list that a call joins: Python `"".join([…])`, JS `[…].join("")`, Go
// `strings.Join([]string{…}, "")`, Java `String.join("", …)`, C# `string.Concat(…)`, PHP
// `implode('', […])`, SQL `CONCAT(…)`, R `paste0(…)`, Rust `concat!(…)`, Kotlin
// `listOf(…).joinToString("")`, Swift `[…].joined()`, Java `Stream.of(…).collect(Collectors.joining())`.
// Elsewhere a comma separates values, which are not joined.
const LIST_SEP = /^\s*,\s*$/;
const JOIN_BEFORE = /(?:\b[jJ]oin|\bimplode|\b[cC]oncat(?:_ws)?!?|\bCONCAT(?:_WS)?|\bpaste0)\s*\(\s*(?:(?:"[^"]*"|'[^']*')\s*,\s*)?(?:\[\]string\s*\{|\[|\(|array\s*\()?\s*$/;
const JOIN_AFTER = /^\s*[\])]\s*\.\s*(?:join|joinToString|joined|collect\s*\(\s*Collectors\.joining)\s*\(/;

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
  /** The literal's value, continuations taken out. */
  value: string;
  /** Where the value starts in the window. */
  content: number;
  /** Where each of the value's characters is, when continuations were taken out. */
  offsets?: number[];
}

function literal(m: RegExpExecArray): Lit {
  const raw = m[1] ?? m[2] ?? m[3] ?? "";
  const lit: Lit = { start: m.index, end: m.index + m[0].length, value: raw, content: m.index + 1 };
  // Only double-quoted literals are continued (a shell's single quotes keep the backslash).
  if (m[1] === undefined || !(raw.includes("\\\n") || raw.includes("\\\r\n"))) return lit;
  const offsets: number[] = [];
  let value = "";
  let from = 0;
  CONTINUATION.lastIndex = 0;
  for (let c = CONTINUATION.exec(raw); ; c = CONTINUATION.exec(raw)) {
    const to = c ? c.index : raw.length;
    value += raw.slice(from, to);
    for (let k = from; k < to; k++) offsets.push(lit.content + k);
    if (!c) break;
    from = c.index + c[0].length;
  }
  return { ...lit, value, offsets };
}

/** Where the literal's j-th character is in the window. */
const sourceOf = (l: Lit) => (l.offsets ? (j: number) => l.offsets![j] ?? l.content : (j: number) => l.content + j);

/** The last item of a joined list starting at lits[i], or i when lits[i] starts none. */
function joinedList(window: string, lits: Lit[], i: number): number {
  let j = i;
  while (j + 1 < lits.length && LIST_SEP.test(window.slice(lits[j]!.end, lits[j + 1]!.start))) j++;
  if (j === i) return i;
  const before = window.slice(Math.max(0, lits[i]!.start - 40), lits[i]!.start);
  const after = window.slice(lits[j]!.end, lits[j]!.end + 40);
  return JOIN_BEFORE.test(before) || JOIN_AFTER.test(after) ? j : i;
}

export const concat: Codec = {
  name: "concat",
  triggers(text, ctx) {
    // A continued literal nearby (a wrapped session token) counts for every key.
    const continued = text.includes("\\\n") || text.includes("\\\r\n");
    const out = ctx.prefixOffsets.filter((o) => {
      const before = text.charCodeAt(o - 1);
      return continued || before === 34 || before === 39 || before === 96 || text.slice(o, o + 21).search(/["'`]/) !== -1;
    });
    SPLIT.lastIndex = 0;
    for (let m = SPLIT.exec(text); m; m = SPLIT.exec(text)) out.push(m.index);
    return out.sort((a, b) => a - b);
  },
  decode(window) {
    const lits: Lit[] = [];
    LITERAL.lastIndex = 0;
    for (let m = LITERAL.exec(window); m; m = LITERAL.exec(window)) lits.push(literal(m));
    const rw = new Rewrite(window);
    let last = 0;
    for (let i = 0; i < lits.length; ) {
      let j = i;
      while (j + 1 < lits.length && JOINER.test(window.slice(lits[j]!.end, lits[j + 1]!.start))) j++;
      if (j === i) j = joinedList(window, lits, i);
      if (j > i || lits[i]!.offsets) {
        const first = lits[i]!;
        rw.copy(last, first.start + 1);
        for (let k = i; k <= j; k++) rw.emit(lits[k]!.value, sourceOf(lits[k]!));
        last = lits[j]!.end - 1;
      }
      i = j + 1;
    }
    rw.copy(last, window.length);
    return rw.result();
  },
};
