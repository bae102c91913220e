// Chunked scanning of large inputs with bounded memory: bytes are copied once
// into a fixed work buffer; each full buffer is scanned, then the next one
// starts at a line start within its last OVERLAP bytes, which are kept.
import { Buffer } from "node:buffer";
import type { Finding } from "./types.js";
import { scanBytesWindowed } from "./windows.js";
import { utf16Bom } from "./codec/utf16.js";

export interface StreamScanner {
  push(chunk: Uint8Array): Finding[];
  end(): Finding[];
}

/** Context kept after each block so keys near its end still pair with what follows. */
const OVERLAP = 32 << 10;

function countNewlines(b: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = b.indexOf(10, from); i !== -1 && i < to; i = b.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * Feed bytes in any chunk sizes (the chunk may be reused by the caller after
 * push returns); findings come out with absolute line numbers. UTF-16 input
 * (with BOM) is transcoded to UTF-8 on the way in; as with whole buffers, its
 * raw bytes are scanned too, and keys only they hold are given at the end.
 */
export function createStreamScanner(opts: { path?: string; chunkSize?: number; bom?: boolean } = {}): StreamScanner {
  const chunkSize = opts.chunkSize ?? 4 << 20;
  const work = Buffer.allocUnsafe(chunkSize + OVERLAP);
  let fill = 0;
  /** The first bytes, until there are two to look for a byte-order mark in. */
  let head: Buffer | undefined = opts.bom === false ? undefined : Buffer.alloc(0);
  let utf16: TextDecoder | undefined;
  let encoding: string | undefined;
  let raw: StreamScanner | undefined;
  const rawFound: Finding[] = [];
  const keyIds = new Set<string>();
  // Absolute line (0-based) and column offset of work[0].
  let baseLine = 0;
  let baseCol = 0;
  /** work[0] is the first byte of the input (a UTF-8 BOM there is dropped). */
  let atStart = opts.bom !== false;
  const seen = new Set<string>();

  /** Scans a block; with `keepLines`, only findings on its first keepLines lines are kept. */
  function scanBlock(block: Buffer, keepLines = Infinity): Finding[] {
    const out: Finding[] = [];
    for (const f0 of scanBytesWindowed(block, opts.path, atStart && !utf16)) {
      if (f0.line > keepLines) continue; // seen again, with its full context, in the next block
      const f = encoding ? { ...f0, encoding: f0.encoding ? `${encoding}+${f0.encoding}` : encoding } : f0;
      const line = f.line + baseLine;
      const column = f.line === 1 ? f.column + baseCol : f.column;
      const id = `${f.keyId}:${line}:${column}`;
      if (seen.has(id)) continue;
      seen.add(id);
      keyIds.add(f.keyId);
      out.push({ ...f, line, column });
    }
    return out;
  }

  /** The work buffer is full: scan it and keep its tail. */
  function flush(): Finding[] {
    let cut = work.lastIndexOf(10, chunkSize - 1);
    cut = cut !== -1 && cut >= chunkSize - OVERLAP ? cut + 1 : chunkSize;
    const nl = countNewlines(work, 0, cut);
    const aligned = work[cut - 1] === 10;
    const out = scanBlock(work, aligned ? nl : nl + 1);
    if (nl > 0) {
      baseLine += nl;
      baseCol = cut - (work.lastIndexOf(10, cut - 1) + 1);
    } else baseCol += cut;
    work.copyWithin(0, cut, fill);
    fill -= cut;
    atStart = false;
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

  return {
    push(chunk) {
      if (!head) return feed(chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length < 2) return [];
      const first = head;
      head = undefined;
      const enc = utf16Bom(first);
      if (!enc) return feed(first);
      utf16 = new TextDecoder(enc);
      encoding = "utf16";
      raw = createStreamScanner({ path: opts.path, chunkSize, bom: false });
      return feed(first.subarray(2));
    },
    end() {
      const out = head ? add(head) : utf16 ? add(Buffer.from(utf16.decode(), "utf8")) : [];
      head = undefined;
      if (fill > 0) out.push(...scanBlock(work.subarray(0, fill)));
      fill = 0;
      if (raw) {
        rawFound.push(...raw.end());
        for (const f of rawFound) if (!keyIds.has(f.keyId)) out.push(f);
      }
      return out;
    },
  };
}
