// Many short needles found in one pass: each needle is indexed by two adjacent pairs of its
// bytes (the rarest it has), so that any occurrence shows one of them at an even offset. Only
// offsets whose pair is in the table are compared with the needles. Shared by the byte
// prefilter and the codecs' string searches (hundreds of base64 needles: one indexOf each
// would read the text hundreds of times).

/** How common a byte is in ordinary text, roughly: rarer pairs mean fewer hits to check. */
const COMMONNESS = Uint8Array.from({ length: 256 }, (_, c) => {
  const ch = String.fromCharCode(c);
  if (c === 0 || "\\%&#".includes(ch)) return 1;
  if (c >= 65 && c <= 90) return "ETAOINSRHLDCU".includes(ch) ? 2 : 1;
  if (c === 48) return 4;
  if (c >= 49 && c <= 57) return 3;
  return 4;
});
const commonness = (c: number) => COMMONNESS[c]!;

/** The offset in n of the first of its two indexed pairs (n[at..at+1] and n[at+1..at+2]). */
export function indexedPairAt(n: ArrayLike<number>): number {
  if (n.length < 3) throw new Error(`needle of ${n.length} bytes: at least 3 are needed`);
  let at = 0;
  let best = Infinity;
  for (let j = 0; j + 2 < n.length; j++) {
    const cost = commonness(n[j]!) + 2 * commonness(n[j + 1]!) + commonness(n[j + 2]!);
    if (cost < best) [at, best] = [j, cost];
  }
  return at;
}

export const pairKey = (a: number, b: number) => a | (b << 8);

/** Latin-1 needles searched in strings (code units above 255 never match). */
export class NeedleSet {
  private readonly table = new Uint16Array(65536);
  private readonly buckets: Array<Array<{ needle: string; off: number }>> = [];

  constructor(needles: readonly string[]) {
    for (const needle of new Set(needles)) {
      const codes = Array.from(needle, (c) => c.charCodeAt(0));
      if (codes.some((c) => c > 255)) throw new Error(`needle ${JSON.stringify(needle)} is not Latin-1`);
      const at = indexedPairAt(codes);
      for (const off of [at, at + 1]) {
        const k = pairKey(codes[off]!, codes[off + 1]!);
        if (this.table[k] === 0) this.table[k] = this.buckets.push([]);
        const bucket = this.buckets[this.table[k]! - 1]!;
        if (!bucket.some((b) => b.needle === needle && b.off === off)) bucket.push({ needle, off });
      }
    }
  }

  /** Every offset where a needle starts, sorted, each once. */
  find(text: string): number[] {
    const out: number[] = [];
    const T = this.table;
    const n = text.length;
    for (let i = 0; i + 1 < n; i += 2) {
      const a = text.charCodeAt(i);
      const b = text.charCodeAt(i + 1);
      if ((a | b) > 255) continue;
      const k = T[a | (b << 8)]!;
      if (k === 0) continue;
      for (const { needle, off } of this.buckets[k - 1]!) {
        const s = i - off;
        if (s >= 0 && text.startsWith(needle, s)) out.push(s);
      }
    }
    out.sort((x, y) => x - y);
    return out.filter((x, k) => k === 0 || x !== out[k - 1]);
  }
}
