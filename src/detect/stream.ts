// Chunked scanning of large inputs with bounded memory: bytes are copied once into a fixed work
// buffer, [left context | region | right context]. When it is full, the keys that start in the
// region are reported, read with CONTEXT bytes of the input on each side of it (so a key glued
// to the text before or after a cut is seen glued, and pairs as in a whole scan); then the
// buffer moves on by the region's length, and the next region starts where this one ended.
// Each key belongs to the one region its first byte is in: no key is reported twice.
import { Buffer, isUtf8 } from "node:buffer";
import type { Finding } from "./types.js";
import { CONTEXT, WHOLE, scanRegion, type Located } from "./windows.js";
import { utf16Bom } from "./codec/utf16.js";
import { charStart, countNewlines, utf16Units, wholeCharsEnd } from "./lines.js";

export interface StreamScanner {
  push(chunk: Uint8Array): Finding[];
  end(): Finding[];
}

/**
 * Feed bytes in any chunk sizes (the chunk may be reused by the caller after
 * push returns); findings come out with absolute line numbers and columns, as a
 * scan of the whole input gives them. UTF-16 input (with BOM) is transcoded to
 * UTF-8 on the way in; as with whole buffers, its raw bytes are scanned too, and
 * keys only they hold are given at the end.
 *
 * Columns count the UTF-16 code units of the text, which is UTF-8 if the whole
 * input is, latin1 otherwise. Until the input's end shows it, a finding with other
 * than ASCII before it on its line is held back (its column depends on that).
 */
export function createStreamScanner(opts: { path?: string; chunkSize?: number; bom?: boolean } = {}): StreamScanner {
  const chunkSize = Math.max(16, opts.chunkSize ?? 4 << 20);
  const work = Buffer.allocUnsafe(CONTEXT + chunkSize + CONTEXT);
  let fill = 0;
  /** The region to scan next starts here in work. */
  let from = 0;
  /** Input offset of work[0]. */
  let base = 0;
  // Where work[0] is: its 0-based line, and the UTF-16 units and bytes before it on that line.
  let line = 0;
  let column = 0;
  let byteColumn = 0;
  /** All the input so far is UTF-8; work[0, checked) has been checked. */
  let utf8 = true;
  let checked = 0;
  /** Findings whose column is in UTF-16 units of UTF-8 text, which the input may yet turn out not to be. */
  const pending: Located[] = [];
  /** Keys reported near the end of the last region (a codec may place one a byte or two apart). */
  let recent: Array<{ keyId: string; at: number }> = [];
  /** The first bytes, until there are three to look for a byte-order mark in. */
  let head: Buffer | undefined = opts.bom === false ? undefined : Buffer.alloc(0);
  let utf16: TextDecoder | undefined;
  let encoding: string | undefined;
  let raw: StreamScanner | undefined;
  const rawFound: Finding[] = [];
  const keyIds = new Set<string>();

  const tagged = (f: Finding): Finding => (encoding ? { ...f, encoding: f.encoding ? `${encoding}+${f.encoding}` : encoding } : f);

  /** Checks the new bytes as UTF-8 (all of them at the end); returns how far the text is whole. */
  function check(final: boolean): number {
    if (!utf8) return fill;
    const end = final ? fill : wholeCharsEnd(work, checked, fill);
    if (end > checked && !isUtf8(work.subarray(checked, end))) {
      utf8 = false;
      return fill;
    }
    checked = end;
    return end;
  }

  /** Scans the region [from, to) (to the end of what is in work when `to` is not given). */
  function scan(to?: number): Finding[] {
    const out: Finding[] = [];
    const wasUtf8 = utf8;
    const end = check(to === undefined);
    // Not UTF-8 after all: the text is latin1, its columns are bytes.
    if (wasUtf8 && !utf8) for (const l of pending.splice(0)) out.push(tagged({ ...l.finding, column: l.byteColumn }));
    const stop = to ?? end;
    // The whole input in one buffer is read as scanBytes reads it; a part of it, by windows.
    const whole = base === 0 && to === undefined && end <= WHOLE;
    const found = scanRegion(work.subarray(0, end), { from, to: stop, utf8, line, column: utf8 ? column : byteColumn, byteColumn, whole }, opts.path);
    const near: typeof recent = [];
    for (const l of found) {
      const at = base + l.offset;
      const { keyId } = l.finding;
      if (recent.some((r) => r.keyId === keyId && Math.abs(r.at - at) <= 4)) continue;
      if (l.offset >= stop - 8) near.push({ keyId, at });
      keyIds.add(keyId);
      if (utf8 && l.finding.column !== l.byteColumn) pending.push(l);
      else out.push(tagged(l.finding));
    }
    recent = near;
    return out;
  }

  /** The work buffer is full: scan its region, then move on by the region's length. */
  function flush(): Finding[] {
    const to = charStart(work, fill - CONTEXT);
    const out = scan(to);
    const shift = charStart(work, to - CONTEXT);
    const n = countNewlines(work, 0, shift);
    if (n > 0) {
      line += n;
      const start = work.lastIndexOf(10, shift - 1) + 1;
      column = utf8 ? utf16Units(work, start, shift) : 0;
      byteColumn = shift - start;
    } else {
      if (utf8) column += utf16Units(work, 0, shift);
      byteColumn += shift;
    }
    work.copyWithin(0, shift, fill);
    fill -= shift;
    base += shift;
    from = to - shift;
    checked = Math.max(0, checked - shift);
    return out;
  }

  function add(bytes: Uint8Array): Finding[] {
    const out: Finding[] = [];
    for (let off = 0; off < bytes.length; ) {
      const n = Math.min(work.length - fill, bytes.length - off);
      work.set(bytes.subarray(off, off + n), fill);
      fill += n;
      off += n;
      if (fill === work.length) out.push(...flush());
    }
    return out;
  }

  function feed(chunk: Uint8Array): Finding[] {
    if (raw) rawFound.push(...raw.push(chunk));
    return add(utf16 ? Buffer.from(utf16.decode(chunk, { stream: true }), "utf8") : chunk);
  }

  /** The first bytes are in: a byte-order mark says what the input is, and is no part of its text. */
  function start(): Finding[] {
    const first = head!;
    head = undefined;
    const enc = utf16Bom(first);
    if (!enc) return feed(first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf ? first.subarray(3) : first);
    utf16 = new TextDecoder(enc);
    encoding = "utf16";
    raw = createStreamScanner({ path: opts.path, chunkSize, bom: false });
    return feed(first.subarray(2));
  }

  return {
    push(chunk) {
      if (!head) return feed(chunk);
      head = Buffer.concat([head, chunk]);
      return head.length < 3 ? [] : start();
    },
    end() {
      const out = head ? start() : [];
      if (utf16) out.push(...add(Buffer.from(utf16.decode(), "utf8")));
      if (fill > 0) out.push(...scan());
      fill = 0;
      for (const l of pending.splice(0)) out.push(tagged(l.finding));
      if (raw) {
        rawFound.push(...raw.end());
        for (const f of rawFound) if (!keyIds.has(f.keyId)) out.push(f);
      }
      return out;
    },
  };
}
