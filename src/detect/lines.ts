// Lines and columns. A line ends at `\n` (so `\r\n` too); a lone `\r` does not end one: git and
// GitHub number lines by LF only, and so does every path here, whole text or bytes in blocks.
// Columns are 1-based counts of UTF-16 code units of the decoded text (SARIF's default unit).
import { Buffer, isAscii } from "node:buffer";

/** Maps offsets in a text to 1-based (line, column); `\r\n` and `\n` end lines, a lone `\r` does not. */
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

/** LF bytes in b[from, to). */
export function countNewlines(b: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = b.indexOf(10, from); i !== -1 && i < to; i = b.indexOf(10, i + 1)) n++;
  return n;
}

/** UTF-16 code units of b[from, to) read as UTF-8 (cut at character boundaries). */
export function utf16Units(b: Buffer, from: number, to: number): number {
  if (to <= from) return 0;
  if (isAscii(b.subarray(from, to))) return to - from;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    // Every byte but a continuation byte starts a character; 4-byte ones are surrogate pairs.
    if ((c & 0xc0) !== 0x80) n += c >= 0xf0 ? 2 : 1;
  }
  return n;
}

/** The start of the UTF-8 character holding b[i] (i itself when it is not a continuation byte). */
export function charStart(b: Uint8Array, i: number): number {
  for (let k = 0; k < 3 && i > 0 && i < b.length && (b[i]! & 0xc0) === 0x80; k++) i--;
  return i;
}

/** The end of the last whole UTF-8 character in b[from, to): `to`, unless a character is cut there. */
export function wholeCharsEnd(b: Uint8Array, from: number, to: number): number {
  const j = charStart(b, to - 1);
  if (j < from || j >= to) return to;
  const c = b[j]!;
  const len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
  return j + len > to ? j : to;
}

export interface BytePosition {
  /** 1-based line. */
  line: number;
  /** 1-based column in UTF-16 code units of the text (bytes when it is read as latin1). */
  column: number;
  /** 1-based column in bytes. */
  byteColumn: number;
}

/**
 * Lines and columns of byte offsets in a buffer, given in increasing order (one pass for all of
 * them). `line`, `column` and `byteColumn` say where b[0] is: its 0-based line, and the UTF-16
 * units and bytes before it on that line. `utf8`: the text is UTF-8, otherwise latin1.
 */
export class BytePositions {
  private pos = 0;
  private line: number;
  /** Start of the current line in b; -1: it started before b[0]. */
  private lineStart = -1;
  /** UTF-16 units from the current line's start to pos. */
  private units: number;

  constructor(
    private readonly b: Buffer,
    private readonly utf8: boolean,
    private readonly line0 = 0,
    private readonly col0 = 0,
    private readonly byteCol0 = 0,
  ) {
    this.line = line0;
    this.units = col0;
  }

  at(off: number): BytePosition {
    if (off < this.pos) {
      this.pos = 0;
      this.line = this.line0;
      this.lineStart = -1;
      this.units = this.col0;
    }
    const n = countNewlines(this.b, this.pos, off);
    if (n > 0) {
      this.line += n;
      this.lineStart = this.b.lastIndexOf(10, off - 1) + 1;
      this.units = this.unitsOf(this.lineStart, off);
    } else this.units += this.unitsOf(this.pos, off);
    this.pos = off;
    const byteColumn = (this.lineStart < 0 ? this.byteCol0 + off : off - this.lineStart) + 1;
    return { line: this.line + 1, column: this.units + 1, byteColumn };
  }

  private unitsOf(from: number, to: number): number {
    return this.utf8 ? utf16Units(this.b, from, to) : to - from;
  }
}
