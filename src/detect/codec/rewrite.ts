import type { Decoded } from "./types.js";

/** Builds a decoded text while remembering where each output char came from. */
export class Rewrite {
  private parts: string[] = [];
  private map: number[] = [];
  private changed = false;

  constructor(private readonly src: string) {}

  copy(from: number, to: number): void {
    if (to <= from) return;
    this.parts.push(this.src.slice(from, to));
    for (let i = from; i < to; i++) this.map.push(i);
  }

  /** Emit decoded text; `at(j)` gives the source offset of its j-th char. */
  emit(text: string, at: (j: number) => number): void {
    this.parts.push(text);
    for (let j = 0; j < text.length; j++) this.map.push(at(j));
    this.changed = true;
  }

  result(): Decoded | null {
    if (!this.changed) return null;
    return { text: this.parts.join(""), map: Int32Array.from(this.map) };
  }
}

/** Runs `re` over `src`, replacing each match for which `fn` returns decoded text. */
export function rewriteMatches(
  src: string,
  re: RegExp,
  fn: (m: RegExpExecArray) => { text: string; at: (j: number) => number } | null,
): Decoded | null {
  const rw = new Rewrite(src);
  let last = 0;
  re.lastIndex = 0;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    const r = fn(m);
    if (!r) continue;
    rw.copy(last, m.index);
    rw.emit(r.text, r.at);
    last = m.index + m[0].length;
  }
  rw.copy(last, src.length);
  return rw.result();
}

/** All offsets of `needle` in `text`. */
export function indexAll(text: string, needle: string, out: number[] = []): number[] {
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) out.push(i);
  return out;
}
