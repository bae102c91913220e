import type { Decoded } from "./types.js";

/**
 * Builds a decoded text while remembering where each output char came from. Most windows come
 * out unchanged, so the map is only built for a changed one (copied parts are long).
 */
export class Rewrite {
  private parts: string[] = [];
  /** Per part: the offset of its first char when copied, or each char's offset when emitted. */
  private origins: Array<number | number[]> = [];
  private changed = false;

  constructor(private readonly src: string) {}

  copy(from: number, to: number): void {
    if (to <= from) return;
    this.parts.push(this.src.slice(from, to));
    this.origins.push(from);
  }

  /** Emit decoded text; `at(j)` gives the source offset of its j-th char. */
  emit(text: string, at: (j: number) => number): void {
    this.parts.push(text);
    const o = new Array<number>(text.length);
    for (let j = 0; j < text.length; j++) o[j] = at(j);
    this.origins.push(o);
    this.changed = true;
  }

  result(): Decoded | null {
    if (!this.changed) return null;
    const text = this.parts.join("");
    const map = new Int32Array(text.length);
    let k = 0;
    for (let p = 0; p < this.parts.length; p++) {
      const o = this.origins[p]!;
      if (typeof o === "number") for (let i = 0, n = this.parts[p]!.length; i < n; i++) map[k++] = o + i;
      else for (const x of o) map[k++] = x;
    }
    return { text, map };
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
