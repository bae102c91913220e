// A repository's whole history, scanned blob by blob: every distinct blob stored in the repository
// is looked at once, and only the few that hold a key are traced back to the commits that
// introduced them (one `git log --raw` walk, run meanwhile). No commit is diffed. Packed blobs are
// read from the packs themselves: whole ones inflated and scanned, deltas settled from the bytes
// they insert when nothing key-like could come from their base; the rest (suspects, loose objects)
// through `git cat-file --batch`. Memory stays bounded by the largest blob kept whole (32 MiB;
// larger ones are streamed), whatever the size of the pack.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { closeSync, createReadStream, existsSync, fstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { constants as zlibConstants, Inflate, inflateSync } from "node:zlib";
import { createStreamScanner, scanBytes, type Finding } from "../detect/index.js";
import { candidateOffsets, mayContainKeyBytes } from "../detect/prefilter.js";

export interface HistoryOptions {
  /** Blobs up to this size are scanned whole; larger ones are streamed in chunks. */
  wholeBlobLimit?: number;
  /** Blobs larger than this are not scanned at all (counted as skipped). Default 256 MiB. */
  maxBlobBytes?: number;
  /** Called for each blob left unscanned for its size. */
  onSkip?(blob: string, size: number): void;
  /** Called every so often with the running totals. */
  onProgress?(p: HistoryProgress): void;
  /** Revisions to attribute against (default `--all`: every ref, pull-request refs included). */
  revs?: string[];
  /** Walk the commits while the blobs are read (default true), into a temporary file. */
  earlyWalk?: boolean;
  /** Read packed blobs straight from the packs, deltas unresolved when safe (default true). */
  packs?: boolean;
  /** How many `cat-file --batch` readers (default: 2, or 1 on a single core). */
  parallel?: number;
  signal?: AbortSignal;
}

export interface HistoryProgress {
  blobs: number;
  bytes: number;
  hits: number;
}

/** Where a key was introduced: the oldest commit that added it at this path. */
export interface HistoryFinding extends Finding {
  path: string;
  commitSha: string;
  author: string;
  authorEmail: string;
  /** Author date, ISO 8601. */
  date: string;
  blob: string;
}

export interface HistoryResult {
  findings: HistoryFinding[];
  /** Keys found in blobs no ref reaches (dangling objects): reported apart, with no commit. */
  unreachable: Array<Finding & { blob: string }>;
  blobs: number;
  bytes: number;
  skipped: number;
  /** Blobs settled from the packs alone (the rest went through `cat-file`). */
  fromPacks: number;
  seconds: number;
}

const WHOLE = 32 << 20;

/** Scans every blob of the repository at `gitDir` (bare or not) and attributes what it finds. */
export async function scanHistory(gitDir: string, opts: HistoryOptions = {}): Promise<HistoryResult> {
  const t0 = performance.now();
  const hits = new Map<string, Finding[]>();
  const revs = opts.revs ?? ["--all"];
  const walk = opts.earlyWalk === false ? undefined : earlyWalk(gitDir, revs);
  let totals: Awaited<ReturnType<typeof scanAllBlobs>>;
  try {
    totals = await scanAllBlobs(gitDir, opts, (blob, fs) => hits.set(blob, fs));
  } catch (err) {
    walk?.cancel();
    throw err;
  }
  if (hits.size === 0) walk?.cancel();
  const findings: HistoryFinding[] = [];
  const unreachable: HistoryResult["unreachable"] = [];
  if (hits.size > 0) {
    const wanted = new Set(hits.keys());
    const origins = (walk && (await walk.result(wanted))) ?? (await introductions(gitDir, wanted, revs));
    // Per key and path, the oldest introduction wins: a key kept while a file was edited a hundred
    // times is reported once per path, at the commit that first brought it in.
    const best = new Map<string, { at: number; origin: Origin; blob: string }>();
    for (const [blob, fs] of hits) {
      const where = origins.get(blob);
      if (!where || where.length === 0) {
        for (const f of fs) unreachable.push({ ...f, blob });
        continue;
      }
      for (const o of where) {
        for (const keyId of new Set(fs.map((f) => f.keyId))) {
          const k = `${keyId}\0${o.path}`;
          const cur = best.get(k);
          if (!cur || o.time < cur.at || (o.time === cur.at && o.order > cur.origin.order)) best.set(k, { at: o.time, origin: o, blob });
        }
      }
    }
    for (const [k, { origin, blob }] of best) {
      const keyId = k.slice(0, k.indexOf("\0"));
      for (const f of hits.get(blob)!) {
        if (f.keyId !== keyId) continue;
        findings.push({
          ...f,
          path: origin.path,
          commitSha: origin.commit,
          author: origin.author,
          authorEmail: origin.email,
          date: new Date(origin.time * 1000).toISOString(),
          blob,
        });
      }
    }
    findings.sort((a, b) => a.date.localeCompare(b.date) || a.path.localeCompare(b.path) || a.line - b.line);
  }
  return { findings, unreachable, ...totals, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Looks at every blob once and hands over those with findings: first the packs (scanPacks), then
 * what they left — suspects and loose objects, listed with `--batch-check` — read by `parallel`
 * `cat-file --batch` processes, each a contiguous run so delta bases stay in its cache. Trees and
 * commits are never inflated; nothing is held but the blob being scanned.
 */
export async function scanAllBlobs(
  gitDir: string,
  opts: HistoryOptions,
  onHit: (blob: string, findings: Finding[]) => void,
): Promise<{ blobs: number; bytes: number; skipped: number; fromPacks: number }> {
  const whole = opts.wholeBlobLimit ?? WHOLE;
  const max = opts.maxBlobBytes ?? 256 << 20;
  const parallel = Math.max(1, opts.parallel ?? Math.min(2, availableParallelism()));
  const procs: ChildProcessWithoutNullStreams[] = [];
  const kill = () => procs.forEach((p) => p.kill());
  opts.signal?.addEventListener("abort", kill, { once: true });
  try {
    const state = { blobs: 0, bytes: 0, hits: 0, lastReport: 0 };
    const onBlob = (sha: string, size: number, fs: Finding[]) => {
      state.blobs++;
      state.bytes += size;
      if (fs.length) {
        state.hits++;
        onHit(sha, fs);
      }
      if (opts.onProgress && state.bytes - state.lastReport > 8 << 20) {
        state.lastReport = state.bytes;
        opts.onProgress({ blobs: state.blobs, bytes: state.bytes, hits: state.hits });
      }
    };
    const shas: string[] = [];
    const sizes: number[] = [];
    let skipped = 0;
    let total = 0;
    const skip = (sha: string, size: number) => {
      skipped++;
      opts.onSkip?.(sha, size);
    };
    const want = (sha: string, size: number) => {
      if (size > max) skip(sha, size);
      else {
        shas.push(sha);
        sizes.push(size);
        total += size;
      }
    };
    const blobsOf = async (args: string[], input?: string[]) => {
      const lister = git(gitDir, ["cat-file", ...args, "--batch-check=%(objecttype) %(objectname) %(objectsize)"]);
      procs.push(lister.child);
      if (input) void feed(lister.child, input, 0, input.length).catch(() => undefined);
      let rest = "";
      lister.child.stdout.setEncoding("latin1");
      for await (const chunk of lister.child.stdout as AsyncIterable<string>) {
        const text = rest + chunk;
        const nl = text.lastIndexOf("\n");
        rest = text.slice(nl + 1);
        for (const l of text.slice(0, nl).split("\n")) {
          if (!l.startsWith("blob ")) continue;
          const sp = l.indexOf(" ", 5);
          want(l.slice(5, sp), Number(l.slice(sp + 1)));
        }
      }
      await lister.done;
    };
    // Packed blobs are read straight from the packs, deltas without resolving them; what the
    // packs cannot settle (suspects, loose objects) goes through `cat-file --batch`. With
    // alternates (objects elsewhere), every object is listed and read through `cat-file`.
    let fromPacks = 0;
    const objects = opts.packs === false ? undefined : await objectsDir(gitDir);
    if (objects && !existsSync(join(objects, "info", "alternates"))) {
      const packed = scanPacks(join(objects, "pack"), whole, max, onBlob, skip);
      fromPacks = packed.covered.size;
      for (const [sha, size] of packed.suspects) if (!packed.covered.has(sha)) want(sha, size);
      const loose: string[] = [];
      for (const d of await readdir(objects).catch(() => [] as string[])) {
        if (!/^[0-9a-f]{2}$/.test(d)) continue;
        for (const f of await readdir(join(objects, d)).catch(() => [] as string[])) {
          const sha = d + f;
          if (/^[0-9a-f]{40}$/.test(sha) && !packed.covered.has(sha) && !packed.suspects.has(sha)) loose.push(sha);
        }
      }
      if (loose.length) await blobsOf([], loose);
    } else {
      // The list: 40 hex characters and a size per blob — small next to the blobs themselves.
      await blobsOf(["--batch-all-objects", "--unordered"]);
    }
    // Contiguous parts of about equal bytes; a second reader only when there is much to read.
    const readers = total < 16 << 20 && opts.parallel === undefined ? 1 : parallel;
    const parts: Array<[number, number]> = [];
    let from = 0;
    let acc = 0;
    for (let i = 0; i < shas.length; i++) {
      acc += sizes[i]!;
      if (acc >= (total / readers) * (parts.length + 1) && parts.length < readers - 1) {
        parts.push([from, i + 1]);
        from = i + 1;
      }
    }
    parts.push([from, shas.length]);
    await Promise.all(
      parts.filter(([a, b]) => b > a).map(([a, b]) => {
        const reader = git(gitDir, ["cat-file", "--batch"]);
        procs.push(reader.child);
        return Promise.all([feed(reader.child, shas, a, b), readBlobs(reader.child, whole, onBlob), reader.done]);
      }),
    );
    if (opts.signal?.aborted) throw new Error("history scan aborted");
    opts.onProgress?.({ blobs: state.blobs, bytes: state.bytes, hits: state.hits });
    return { blobs: state.blobs, bytes: state.bytes, skipped, fromPacks };
  } finally {
    opts.signal?.removeEventListener("abort", kill);
  }
}

/**
 * Reads the repository's packs directly. A blob stored whole is inflated and scanned. A blob
 * stored as a delta is settled from the delta alone when that is safe: its base held nothing
 * key-like, and the bytes the delta inserts hold no key prefix (plain or encoded) and no long
 * run of key characters (the tail of a key whose first characters were copied from the base).
 * Then the blob cannot hold a key, and is never resolved. Any other blob — a delta of a suspect
 * base, or with suspect inserts — is left to `cat-file` (returned as not covered). Returns the
 * blobs settled here.
 */
function scanPacks(
  packDir: string,
  whole: number,
  max: number,
  onBlob: (sha: string, size: number, fs: Finding[]) => void,
  skip: (sha: string, size: number) => void,
): { covered: Set<string>; suspects: Map<string, number> } {
  const covered = new Set<string>();
  const suspect = new Map<string, number>();
  let names: string[];
  try {
    names = readdirSync(packDir).filter((n) => n.endsWith(".idx"));
  } catch {
    return { covered, suspects: suspect };
  }
  for (const name of names) {
    const packPath = join(packDir, name.slice(0, -4) + ".pack");
    let idx: Buffer;
    try {
      idx = readFileSync(join(packDir, name));
    } catch {
      continue;
    }
    if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) continue;
    const n = idx.readUInt32BE(8 + 255 * 4);
    const shaAt = 8 + 256 * 4;
    const offAt = shaAt + n * 20 + n * 4;
    const bigAt = offAt + n * 4;
    const offsets = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const o = idx.readUInt32BE(offAt + j * 4);
      offsets[j] = o & 0x80000000 ? Number(idx.readBigUInt64BE(bigAt + (o & 0x7fffffff) * 8)) : o;
    }
    // Objects in pack order: offsets sorted with their index packed in (a typed sort, no comparator).
    const keyed = new Float64Array(n);
    const small = offsets.every((o) => o < 2 ** 31) && n < 2 ** 21;
    for (let j = 0; j < n; j++) keyed[j] = small ? offsets[j]! * 2 ** 21 + j : j;
    let order: Uint32Array;
    if (small) {
      keyed.sort();
      order = new Uint32Array(n);
      for (let k = 0; k < n; k++) order[k] = keyed[k]! % 2 ** 21;
    } else order = Uint32Array.from(Array.from({ length: n }, (_, j) => j).sort((a, b) => offsets[a]! - offsets[b]!));
    const sorted = new Float64Array(n);
    for (let k = 0; k < n; k++) sorted[k] = offsets[order[k]!]!;
    const posOf = (offset: number): number | undefined => {
      let lo = 0;
      let hi = n - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const v = sorted[mid]!;
        if (v === offset) return mid;
        if (v < offset) lo = mid + 1;
        else hi = mid - 1;
      }
      return undefined;
    };
    // Per object, by position in the pack: 0 unknown, 1 clean, 2 suspect (key-like bytes).
    const taint = new Uint8Array(n);
    // Per object: its type once known (deltas take their base's), 0 when not known.
    const types = new Uint8Array(n);
    let shaPos: Map<string, number> | undefined;
    const batch = new InsertBatch();
    const settle = (e: PendingDelta, hit: boolean) => {
      if (hit || taint[e.basePos] === 2) {
        taint[e.pos] = 2;
        suspect.set(e.sha, e.size);
      } else {
        taint[e.pos] = 1;
        covered.add(e.sha);
        onBlob(e.sha, e.size, []);
      }
    };
    const fd = openSync(packPath, "r");
    try {
      const packEnd = fstatSync(fd).size - 20;
      const reader = new WindowReader(fd);
      for (let pos = 0; pos < n; pos++) {
        const j = order[pos]!;
        const start = sorted[pos]!;
        const end = pos + 1 < n ? sorted[pos + 1]! : packEnd;
        const b = reader.read(start, Math.min(end - start, 64));
        let p = 0;
        let c = b[p++]!;
        const kind = (c >> 4) & 7;
        let objSize = c & 15;
        let shift = 4;
        while (c & 0x80) {
          c = b[p++]!;
          objSize += (c & 0x7f) * 2 ** shift;
          shift += 7;
        }
        let basePos: number | undefined;
        if (kind === 6) {
          c = b[p++]!;
          let off = c & 127;
          while (c & 128) {
            c = b[p++]!;
            off = (off + 1) * 128 + (c & 127);
          }
          basePos = posOf(start - off);
        } else if (kind === 7) {
          if (!shaPos) {
            shaPos = new Map();
            for (let k = 0; k < n; k++) shaPos.set(idx.toString("hex", shaAt + order[k]! * 20, shaAt + order[k]! * 20 + 20), k);
          }
          basePos = shaPos.get(b.toString("hex", p, p + 20));
          p += 20;
        }
        types[pos] = kind < 5 ? kind : basePos !== undefined ? types[basePos]! : 0;
        // Commits, trees and tags are never read; a delta of unknown type goes to cat-file.
        if (types[pos] !== 3 && types[pos] !== 0) continue;
        const sha = idx.toString("hex", shaAt + j * 20, shaAt + j * 20 + 20);
        if (covered.has(sha) || suspect.has(sha)) {
          taint[pos] = covered.has(sha) ? 1 : 2;
          continue;
        }
        const leave = (size: number) => {
          taint[pos] = 2;
          suspect.set(sha, size);
        };
        if (kind === 3) {
          if (objSize > max) {
            skip(sha, objSize);
            taint[pos] = 2;
            continue;
          }
          if (objSize > whole) {
            leave(objSize);
            continue;
          }
          const data = inflater.inflate(reader.read(start + p, end - start - p), objSize);
          const candidate = mayContainKeyBytes(data);
          const fs = candidate ? scanBytes(data) : [];
          covered.add(sha);
          // Its deltas may copy what it holds: anything key-like makes them suspects.
          taint[pos] = candidate ? 2 : 1;
          onBlob(sha, objSize, fs);
          continue;
        }
        if (types[pos] === 0 || basePos === undefined || (taint[basePos] !== 1 && taint[basePos] !== PENDING) || objSize > whole) {
          leave(0);
          continue;
        }
        const delta = inflater.inflate(reader.read(start + p, end - start - p), objSize);
        const size = deltaTargetSize(delta);
        if (size > max) {
          skip(sha, size);
          taint[pos] = 2;
          continue;
        }
        if (size > whole || !batch.add(delta, { pos, sha, size, basePos })) {
          leave(size);
          continue;
        }
        // Settled when the batch is: clean unless its inserts or its base turn out key-like.
        taint[pos] = PENDING;
        if (batch.full()) batch.flush(settle);
      }
      batch.flush(settle);
    } finally {
      closeSync(fd);
    }
  }
  return { covered, suspects: suspect };
}

/** The size of the object a delta produces (its second varint). */
function deltaTargetSize(delta: Buffer): number {
  let i = 0;
  while (delta[i++]! & 0x80);
  let size = 0;
  let shift = 0;
  let c: number;
  do {
    c = delta[i++]!;
    size += (c & 0x7f) * 2 ** shift;
    shift += 7;
  } while (c & 0x80);
  return size;
}

/** The object directory of a repository (bare or not), without asking git when it is plain. */
async function objectsDir(gitDir: string): Promise<string> {
  if (existsSync(join(gitDir, "objects")) && existsSync(join(gitDir, "HEAD"))) return join(gitDir, "objects");
  let dir = (await gitText(gitDir, ["rev-parse", "--git-path", "objects"])).trim();
  if (!isAbsolute(dir)) dir = join(gitDir, dir);
  return dir;
}

/** Reads a pack through a sliding window: one read per few megabytes, not one per object. */
class WindowReader {
  private buf = Buffer.alloc(0);
  private from = 0;
  private len = 0;
  constructor(private fd: number) {}
  read(start: number, length: number): Buffer {
    if (start >= this.from && start + length <= this.from + this.len) return this.buf.subarray(start - this.from, start - this.from + length);
    const size = Math.max(length, 4 << 20);
    if (this.buf.length < size) this.buf = Buffer.allocUnsafe(size);
    this.len = readSync(this.fd, this.buf, 0, size, start);
    this.from = start;
    if (this.len < length) throw new Error("pack shorter than its index says");
    return this.buf.subarray(0, length);
  }
}

/**
 * zlib inflation of many small objects. One zlib handle, reset between objects, writing into one
 * reused buffer: `inflateSync` builds a stream per call, which costs more than the inflating.
 * The result is only valid until the next call. Falls back to `inflateSync` if Node's zlib
 * internals are not what they were.
 */
class Inflater {
  private out = Buffer.allocUnsafe(1 << 20);
  private handle?: {
    writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void;
    reset(): void;
    onerror?: (message: string) => void;
  };
  private state?: Uint32Array;
  private failed = false;
  constructor() {
    const z = new Inflate() as unknown as { _handle?: Inflater["handle"]; _writeState?: Uint32Array };
    if (z._handle && typeof z._handle.writeSync === "function" && typeof z._handle.reset === "function" && z._writeState) {
      this.handle = z._handle;
      this.state = z._writeState;
      this.handle.onerror = () => {
        this.failed = true;
      };
    }
  }
  inflate(input: Buffer, size: number): Buffer {
    if (!this.handle || !this.state) return inflateSync(input);
    if (this.out.length < size + 1) this.out = Buffer.allocUnsafe(Math.max(size + 1, this.out.length * 2));
    this.failed = false;
    this.handle.writeSync(zlibConstants.Z_FINISH, input, 0, input.length, this.out, 0, size + 1);
    const produced = size + 1 - this.state[0]!;
    this.handle.reset();
    if (this.failed || produced !== size) return inflateSync(input);
    return this.out.subarray(0, size);
  }
}
const inflater = new Inflater();

const KEY_CHAR = new Uint8Array(256);
for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") KEY_CHAR[ch.charCodeAt(0)] = 1;
const PENDING = 3;

interface PendingDelta {
  pos: number;
  sha: string;
  size: number;
  basePos: number;
}

/**
 * The bytes many deltas insert, gathered so the prefilter runs once per megabyte rather than
 * once per delta (its cost is mostly per call). Each delta's inserts are checked at once for a
 * run of 12+ key characters (the tail of a key whose first characters were copied from the
 * base); at the flush, for a key prefix in any encoding the prefilter knows. Deltas settle in
 * pack order, so a delta of a delta in the same batch sees its base settled first.
 */
class InsertBatch {
  private buf = Buffer.allocUnsafe(2 << 20);
  private w = 0;
  private entries: Array<PendingDelta & { from: number; to: number }> = [];

  /** False when the inserts already look key-like (or the delta is odd): a suspect. */
  add(delta: Buffer, e: PendingDelta): boolean {
    let i = 0;
    while (delta[i++]! & 0x80); // source size
    while (delta[i++]! & 0x80); // target size
    if (this.buf.length < this.w + delta.length + 1) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.w + delta.length + 1));
      this.buf.copy(bigger, 0, 0, this.w);
      this.buf = bigger;
    }
    const buf = this.buf;
    const from = this.w;
    let w = from;
    let run = 0;
    while (i < delta.length) {
      const op = delta[i++]!;
      if (op & 0x80) {
        for (let bit = 0; bit < 7; bit++) if (op & (1 << bit)) i++;
        if (w > from && buf[w - 1] !== 10) buf[w++] = 10;
        run = 0;
      } else if (op) {
        const stop = Math.min(i + op, delta.length);
        for (; i < stop; i++) {
          const ch = delta[i]!;
          if (KEY_CHAR[ch]) {
            if (++run >= 12) return false;
          } else run = 0;
          buf[w++] = ch;
        }
      } else return false; // reserved opcode: do not guess
    }
    buf[w++] = 10;
    this.w = w;
    this.entries.push({ ...e, from, to: w });
    return true;
  }

  full(): boolean {
    return this.w >= 1 << 20;
  }

  flush(settle: (e: PendingDelta, hit: boolean) => void): void {
    if (this.entries.length === 0) return;
    const hits = candidateOffsets(this.buf.subarray(0, this.w));
    const entries = this.entries;
    let h = 0;
    for (const e of entries) {
      while (h < hits.length && hits[h]! < e.from) h++;
      settle(e, h < hits.length && hits[h]! < e.to);
    }
    this.entries = [];
    this.w = 0;
  }
}

async function feed(child: ChildProcessWithoutNullStreams, shas: string[], from: number, to: number): Promise<void> {
  const STEP = 2048;
  try {
    for (let i = from; i < to; i += STEP) {
      const batch = shas.slice(i, Math.min(to, i + STEP)).join("\n") + "\n";
      if (!child.stdin.write(batch)) await new Promise((r) => child.stdin.once("drain", r));
    }
  } finally {
    child.stdin.end();
  }
}

/** Scans the given blobs, read by ID through one `cat-file --batch`; objects not there are left out. */
export async function scanBlobs(gitDir: string, shas: string[], onBlob: (sha: string, size: number, fs: Finding[]) => void): Promise<void> {
  const reader = git(gitDir, ["cat-file", "--batch"]);
  reader.child.stdin.on("error", () => undefined); // a git that died says why through reader.done
  await Promise.all([feed(reader.child, shas, 0, shas.length), readBlobs(reader.child, WHOLE, onBlob), reader.done]);
}

/** Parses `cat-file --batch` output ("<sha> blob <size>\n<bytes>\n" records) and scans each blob. */
async function readBlobs(child: ChildProcessWithoutNullStreams, whole: number, onBlob: (sha: string, size: number, fs: Finding[]) => void): Promise<void> {
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let need = -1; // bytes still to come for the current blob, its newline included
  let sha = "";
  let size = 0;
  let stream: ReturnType<typeof createStreamScanner> | undefined;
  let streamed: Finding[] = [];
  let header = "";
  for await (const c of child.stdout as AsyncIterable<Buffer>) {
    let chunk = c;
    while (chunk.length > 0) {
      if (need < 0) {
        const nl = chunk.indexOf(10);
        if (nl === -1) {
          header += chunk.toString("latin1");
          break;
        }
        header += chunk.toString("latin1", 0, nl);
        chunk = chunk.subarray(nl + 1);
        const parts = header.split(" ");
        header = "";
        if (parts[1] === "missing" || parts.length < 3) continue;
        sha = parts[0]!;
        size = Number(parts[2]);
        need = size + 1;
        if (size > whole) stream = createStreamScanner();
        continue;
      }
      const take = Math.min(need, chunk.length);
      const part = chunk.subarray(0, take);
      chunk = chunk.subarray(take);
      need -= take;
      if (stream) {
        const body = need === 0 ? part.subarray(0, part.length - 1) : part;
        if (body.length) streamed.push(...stream.push(body));
        if (need === 0) {
          onBlob(sha, size, [...streamed, ...stream.end()]);
          stream = undefined;
          streamed = [];
        }
      } else if (need === 0 && pendingLen === 0) {
        // The common case: the whole blob is in this chunk, scanned without a copy.
        onBlob(sha, size, scanBytes(part.subarray(0, part.length - 1)));
      } else {
        pending.push(part);
        pendingLen += part.length;
        if (need === 0) {
          const all = Buffer.concat(pending, pendingLen);
          pending = [];
          pendingLen = 0;
          onBlob(sha, size, scanBytes(all.subarray(0, all.length - 1)));
        }
      }
      if (need === 0) need = -1;
    }
  }
}

interface Origin {
  commit: string;
  path: string;
  author: string;
  email: string;
  time: number;
  /** Position in the walk (newest first): for equal times, the later in the walk is the older. */
  order: number;
}

const WALK_ARGS = [
  "-c",
  "core.quotePath=false",
  "log",
  "--raw",
  "--no-abbrev",
  "--no-renames",
  "-z",
  "--diff-merges=first-parent",
  "--diff-filter=AMT",
  "--format=%x01%H%x02%at%x02%ae%x02%an",
];

/**
 * For each wanted blob, every (commit, path) where a commit made that path hold it: one walk of
 * every ref (`git log --raw`, merges against their first parent), no content read.
 */
export async function introductions(gitDir: string, wanted: Set<string>, revs: string[] = ["--all"]): Promise<Map<string, Origin[]>> {
  const p = git(gitDir, [...WALK_ARGS, ...revs]);
  p.child.stdout.setEncoding("utf8");
  const out = parseWalk(p.child.stdout as AsyncIterable<string>, wanted);
  await p.done;
  return out;
}

/**
 * The same walk started early, alongside the blob scan (on the core the scan leaves idle). Its
 * output goes to a temporary file, not through a pipe: git writes it in thousands of small
 * pieces, each of which would cost the scan's thread an event. Read once the scan found keys.
 */
function earlyWalk(gitDir: string, revs: string[]): { result(wanted: Set<string>): Promise<Map<string, Origin[]> | null>; cancel(): void } {
  const dir = mkdtempSync(join(tmpdir(), "keyfence-walk-"));
  const file = join(dir, "walk");
  const fd = openSync(file, "w");
  const child = spawn("git", [...WALK_ARGS, ...revs], { cwd: gitDir, stdio: ["ignore", fd, "ignore"], env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
  closeSync(fd);
  const done = new Promise<boolean>((resolve) => {
    child.on("error", () => resolve(false));
    child.on("close", (code) => resolve(code === 0));
  });
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  return {
    async result(wanted) {
      try {
        if (!(await done)) return null;
        if (statSync(file).size <= 16 << 20) return findInWalk(readFileSync(file, "utf8"), wanted);
        return await parseWalk(createReadStream(file, { encoding: "utf8" }) as AsyncIterable<string>, wanted);
      } finally {
        cleanup();
      }
    },
    cancel() {
      child.kill();
      void done.then(cleanup);
    },
  };
}

/**
 * The wanted blobs' introductions in a whole walk's output, found by searching for each blob ID
 * (a few, usually) rather than parsing every record.
 */
export function findInWalk(text: string, wanted: Set<string>): Map<string, Origin[]> {
  const out = new Map<string, Origin[]>();
  for (const blob of wanted) {
    for (let i = text.indexOf(blob); i !== -1; i = text.indexOf(blob, i + 40)) {
      // ":<mode> <mode> <old> <new> <status>\0<path>\0": the blob must be the new side.
      const rec = text.lastIndexOf(":", i);
      const nul = text.indexOf("\0", i);
      if (rec === -1 || nul === -1) continue;
      const f = text.slice(rec + 1, nul).split(" ");
      if (f[3] !== blob || f[1] === "160000" || f[1] === "120000") continue;
      const pathEnd = text.indexOf("\0", nul + 1);
      const path = text.slice(nul + 1, pathEnd === -1 ? undefined : pathEnd);
      const h = text.lastIndexOf("\x01", rec);
      if (h === -1) continue;
      let he = text.indexOf("\0", h);
      const nl = text.indexOf("\n", h);
      if (nl !== -1 && (he === -1 || nl < he)) he = nl;
      const [sha, at, email, name] = text.slice(h + 1, he).split("\x02");
      const list = out.get(blob) ?? [];
      // Position in the walk (newest first) orders equal times: a larger one is older.
      list.push({ commit: sha!, path, author: name ?? "", email: email ?? "", time: Number(at), order: h });
      out.set(blob, list);
    }
  }
  return out;
}

async function parseWalk(input: AsyncIterable<string> | Iterable<string>, wanted: Set<string>): Promise<Map<string, Origin[]>> {
  const out = new Map<string, Origin[]>();
  let commit = { sha: "", time: 0, email: "", name: "" };
  let order = 0;
  let rest = "";
  let pendingBlob: string | undefined;
  const onToken = (tok: string) => {
    if (pendingBlob !== undefined) {
      const blob = pendingBlob;
      pendingBlob = undefined;
      if (wanted.has(blob)) {
        const list = out.get(blob) ?? [];
        list.push({ commit: commit.sha, path: tok, author: commit.name, email: commit.email, time: commit.time, order });
        out.set(blob, list);
      }
      return;
    }
    const h = tok.lastIndexOf("\x01");
    if (h !== -1) {
      const nl = tok.indexOf("\n", h);
      const [sha, at, email, name] = tok.slice(h + 1, nl === -1 ? undefined : nl).split("\x02");
      commit = { sha: sha!, time: Number(at), email: email ?? "", name: name ?? "" };
      order++;
      tok = nl === -1 ? "" : tok.slice(nl);
    }
    if (tok.charCodeAt(0) === 10) tok = tok.replace(/^\n+/, "");
    if (!tok.startsWith(":")) return;
    // ":100644 100644 <old> <new> M" — the path is the next token.
    const f = tok.split(" ");
    if (f[1] === "160000" || f[1] === "120000") {
      pendingBlob = "";
      return;
    }
    pendingBlob = f[3] ?? "";
  };
  for await (const chunk of input) {
    const text = rest + chunk;
    const parts = text.split("\0");
    rest = parts.pop()!;
    for (const t of parts) onToken(t);
  }
  if (rest) onToken(rest);
  return out;
}

async function gitText(cwd: string, args: string[]): Promise<string> {
  const p = git(cwd, args);
  let out = "";
  p.child.stdout.setEncoding("utf8");
  p.child.stdout.on("data", (c: string) => (out += c));
  await p.done;
  return out;
}

function git(cwd: string, args: string[]): { child: ChildProcessWithoutNullStreams; done: Promise<void> } {
  const child = spawn("git", args, { cwd, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
  let err = "";
  child.stderr.on("data", (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
  const done = new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`git ${args.find((a) => !a.startsWith("-") && !a.includes("="))} failed (${code ?? signal}): ${err.trim().slice(0, 500)}`)),
    );
  });
  done.catch(() => undefined);
  return { child, done };
}
