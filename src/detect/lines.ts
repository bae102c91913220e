/** Maps offsets in a text to 1-based (line, column); `\r\n` and `\n` end lines. */
export function positionsOf(text: string, offsets: number[]): Array<{ line: number; column: number }> {
  const order = offsets.map((o, i) => ({ o, i })).sort((a, b) => a.o - b.o);
  const out = new Array<{ line: number; column: number }>(offsets.length);
  let line = 1;
  let lineStart = 0;
  let pos = 0;
  for (const { o, i } of order) {
    for (let n = text.indexOf("\n", pos); n !== -1 && n < o; n = text.indexOf("\n", n + 1)) {
      line++;
      lineStart = n + 1;
      pos = n + 1;
    }
    pos = Math.max(pos, lineStart);
    out[i] = { line, column: o - lineStart + 1 };
  }
  return out;
}
