// `keyfence scan`: files, directories, stdin, the git index (--staged) or the
// whole history (--history). All I/O lives here; src/detect is pure.
import { closeSync, openSync, readSync, readdirSync, realpathSync, statSync, type Dirent } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { scanBytes, createStreamScanner, type Finding } from "../detect/index.js";
import { scanHistory as scanRepoHistory } from "../sources/history.js";
import { formatText } from "./report/text.js";
import { formatJson } from "./report/json.js";
import { formatSarif } from "./report/sarif.js";
import { isLive, type Reported, type ReportOptions } from "./report/types.js";

const USAGE = `usage: keyfence scan [options] [PATH…]

  PATH…             files or directories (recursively); - for stdin; default .
  --staged          scan what \`git commit\` would commit (the index)
  --history         scan every blob in the repository's history
  --format FMT      text (default), json or sarif
  --show-secrets    print full key IDs and secrets (default: redacted)
  -h, --help        this help

exit status: 1 if a live or temporary key was found, 0 if none, 2 on error
`;

const WHOLE_FILE_LIMIT = 16 << 20;
const SKIP_DIRS = new Set([".git", "node_modules"]);

interface Options {
  paths: string[];
  staged: boolean;
  history: boolean;
  format: "text" | "json" | "sarif";
  showSecrets: boolean;
}

class UsageError extends Error {}

function parseArgs(args: string[]): Options | "help" {
  const o: Options = { paths: [], staged: false, history: false, format: "text", showSecrets: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-h" || a === "--help") return "help";
    else if (a === "--staged") o.staged = true;
    else if (a === "--history") o.history = true;
    else if (a === "--show-secrets") o.showSecrets = true;
    else if (a === "--format" || a.startsWith("--format=")) {
      const v = a === "--format" ? args[++i] : a.slice("--format=".length);
      if (v !== "text" && v !== "json" && v !== "sarif") throw new UsageError(`--format must be text, json or sarif (got ${v ?? "nothing"})`);
      o.format = v;
    } else if (a === "--") o.paths.push(...args.slice(i + 1)), (i = args.length);
    else if (a.startsWith("-") && a !== "-") throw new UsageError(`unknown option '${a}'`);
    else o.paths.push(a);
  }
  if (o.staged && o.history) throw new UsageError("--staged and --history cannot be combined");
  return o;
}

export async function scanCommand(args: string[]): Promise<number> {
  let o: Options | "help";
  try {
    o = parseArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`keyfence scan: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (o === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const findings: Reported[] = [];
  const sink = (fs: Reported[]) => {
    for (const f of fs) findings.push(f);
  };
  let failed = false;
  let base = process.cwd();
  try {
    // git paths are relative to the repository root, which is also the SARIF base then
    if (o.staged) base = await scanStaged(o.paths[0] ?? ".", sink);
    else if (o.history) base = await scanHistory(o.paths[0] ?? ".", sink);
    else {
      const paths = o.paths.length ? o.paths : ["."];
      for (const p of paths) {
        if (p === "-") sink(await scanStream(process.stdin, "-"));
        else if (!(await scanTree(p, sink))) failed = true;
      }
    }
  } catch (e) {
    process.stderr.write(`keyfence scan: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  findings.sort(
    (a, b) =>
      (a.path ?? "").localeCompare(b.path ?? "") || (a.commit ?? "").localeCompare(b.commit ?? "") || a.line - b.line || a.column - b.column,
  );
  const ro: ReportOptions = { showSecrets: o.showSecrets };
  const out = o.format === "json" ? formatJson(findings, ro) : o.format === "sarif" ? formatSarif(findings, ro, base) : formatText(findings, ro);
  await new Promise<void>((res) => process.stdout.write(out, () => res()));
  if (findings.some(isLive)) return 1;
  return failed && findings.length === 0 ? 2 : 0;
}

async function scanStream(input: NodeJS.ReadableStream, path: string): Promise<Finding[]> {
  const sc = createStreamScanner({ path });
  const out: Finding[] = [];
  for await (const chunk of input) out.push(...sc.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer)));
  out.push(...sc.end());
  return out;
}

const CHUNK = 4 << 20;
let readBuf: Buffer | undefined;

/** Reads and scans one file synchronously; memory stays bounded for any size. */
function scanFileSync(path: string, size: number): Finding[] {
  const fd = openSync(path, "r");
  try {
    readBuf ??= Buffer.allocUnsafe(WHOLE_FILE_LIMIT);
    if (size <= WHOLE_FILE_LIMIT) {
      let n = 0;
      for (let r = 1; r > 0 && n < readBuf.length; n += r) r = readSync(fd, readBuf, n, readBuf.length - n, null);
      if (n === readBuf.length) return scanLarge(fd, path, readBuf.subarray(0, n)); // it grew meanwhile
      return scanBytes(readBuf.subarray(0, n), { path });
    }
    return scanLarge(fd, path, Buffer.alloc(0));
  } finally {
    closeSync(fd);
  }
}

function scanLarge(fd: number, path: string, head: Buffer): Finding[] {
  const sc = createStreamScanner({ path });
  const out = head.length ? sc.push(head) : [];
  const buf = Buffer.allocUnsafe(CHUNK);
  for (let n = readSync(fd, buf, 0, CHUNK, null); n > 0; n = readSync(fd, buf, 0, CHUNK, null)) out.push(...sc.push(buf.subarray(0, n)));
  out.push(...sc.end());
  return out;
}

interface FileEntry {
  path: string;
  size: number;
}

function warnUnreadable(p: string, e: unknown): void {
  process.stderr.write(`keyfence scan: cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
}

/**
 * Calls onFile for each file under root (or root itself) in directory order;
 * false when root cannot be read. Synchronous on purpose: one syscall at a time without thread-pool
 * round trips is several times faster for large trees.
 */
function walk(root: string, onFile: (f: FileEntry) => void): boolean {
  const seenDirs = new Set<string>();

  function visitDir(p: string): void {
    // realpath catches symlink loops and directories reached twice.
    let real = p;
    try {
      real = realpathSync.native(p);
    } catch {
      /* keep p */
    }
    if (seenDirs.has(real)) return;
    seenDirs.add(real);
    let entries: Dirent[];
    try {
      entries = readdirSync(p, { withFileTypes: true });
    } catch (e) {
      warnUnreadable(p, e);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of entries) {
      if (SKIP_DIRS.has(d.name)) continue;
      const child = join(p, d.name);
      if (d.isDirectory()) visitDir(child);
      else if (d.isFile() || d.isSymbolicLink()) visitOther(child);
    }
  }

  function visitOther(p: string): void {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      warnUnreadable(p, e);
      return;
    }
    if (st.isDirectory()) visitDir(p);
    else if (st.isFile()) onFile({ path: p, size: st.size });
  }

  let st;
  try {
    st = statSync(root);
  } catch (e) {
    warnUnreadable(root, e);
    return false;
  }
  if (st.isDirectory()) visitDir(root);
  else if (st.isFile()) onFile({ path: root, size: st.size });
  return true;
}

/**
 * Scans the files under a path. Files are grouped in batches as the walk finds
 * them. Once the tree proves large, helper threads start (one per extra CPU)
 * and receive batches on demand while this thread scans the rest.
 */
async function scanTree(root: string, sink: (f: Finding[]) => void): Promise<boolean> {
  const threads = Number(process.env.KEYFENCE_THREADS) || Math.min(availableParallelism(), 8);
  const queue: FileEntry[][] = [];
  interface Helper {
    w: Worker;
    sent: FileEntry[][];
    dead: boolean;
  }
  const helpers: Helper[] = [];
  let queuedBytes = 0;
  let batch: FileEntry[] = [];
  let batchBytes = 0;

  const feed = (h: Helper) => {
    while (!h.dead && h.sent.length < 2 && queue.length > 0) {
      const b = queue.shift()!;
      h.sent.push(b);
      h.w.postMessage(b);
    }
  };
  let wake: (() => void) | undefined;
  const startHelpers = () => {
    for (let i = 1; i < threads; i++) {
      const h: Helper = { w: startWorker(), sent: [], dead: false };
      h.w.on("message", (m: { findings: Finding[]; errors: Array<[string, string]> }) => {
        for (const [p, err] of m.errors) process.stderr.write(`keyfence scan: cannot read ${p}: ${err}\n`);
        sink(m.findings);
        h.sent.shift();
        feed(h);
        wake?.();
      });
      // A helper that cannot run hands its batches back to this thread.
      h.w.on("error", () => {
        h.dead = true;
        queue.unshift(...h.sent);
        h.sent = [];
        wake?.();
      });
      helpers.push(h);
    }
  };
  const ok = walk(root, (f) => {
    batch.push(f);
    batchBytes += f.size;
    if (batchBytes >= BATCH_BYTES || batch.length >= 512) {
      queue.push(batch);
      queuedBytes += batchBytes;
      batch = [];
      batchBytes = 0;
      if (helpers.length === 0 && threads >= 2 && queuedBytes >= HELPERS_FROM) startHelpers();
      for (const h of helpers) feed(h);
    }
  });
  if (batch.length) queue.push(batch);
  try {
    for (;;) {
      const next = queue.shift();
      if (next) {
        for (const f of next) {
          try {
            sink(scanFileSync(f.path, f.size));
          } catch (e) {
            warnUnreadable(f.path, e);
          }
        }
        // let helper replies (and their requests for more) through
        await new Promise((r) => setImmediate(r));
      } else if (helpers.some((h) => h.sent.length > 0)) await new Promise<void>((r) => (wake = r));
      else break;
    }
  } finally {
    await Promise.all(helpers.map((h) => h.w.terminate()));
  }
  return ok;
}

/** This module, started again as a worker thread (through tsx's loader when run from source). */
function startWorker(): Worker {
  const self = import.meta.url;
  const workerData = { keyfenceScanWorker: true };
  if (!self.endsWith(".ts")) return new Worker(new URL(self), { workerData });
  const api = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(self)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

const BATCH_BYTES = 2 << 20;
/** Helper threads pay for their start-up only on trees at least this big. */
const HELPERS_FROM = 8 << 20;

if (!isMainThread && (workerData as { keyfenceScanWorker?: boolean } | null)?.keyfenceScanWorker) {
  parentPort!.on("message", (batch: FileEntry[]) => {
    const findings: Finding[] = [];
    const errors: Array<[string, string]> = [];
    for (const f of batch) {
      try {
        findings.push(...scanFileSync(f.path, f.size));
      } catch (e) {
        errors.push([f.path, (e as NodeJS.ErrnoException).code ?? (e as Error).message]);
      }
    }
    parentPort!.postMessage({ findings, errors });
  });
}

function run(cmd: string, args: string[], cwd: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on("data", (d: Buffer) => out.push(d));
    p.stderr.on("data", (d: Buffer) => err.push(d));
    p.on("error", reject);
    p.on("close", (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${cmd} ${args.join(" ")}: ${Buffer.concat(err).toString().trim() || `exit ${code}`}`)),
    );
  });
}

/**
 * Reads objects through one `git cat-file --batch`; `onObject` gets each object's
 * request index and content. Missing objects are skipped.
 */
async function catFileBatch(cwd: string, requests: string[], onObject: (i: number, data: Buffer) => void): Promise<void> {
  if (requests.length === 0) return;
  const p = spawn("git", ["cat-file", "--batch"], { cwd, stdio: ["pipe", "pipe", "pipe"] });
  const errs: Buffer[] = [];
  p.stderr.on("data", (d: Buffer) => errs.push(d));
  const done = new Promise<void>((resolve, reject) => {
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`git cat-file: ${Buffer.concat(errs).toString().trim()}`))));
  });
  p.stdin.on("error", () => {});
  (async () => {
    for (const r of requests) if (!p.stdin.write(r + "\n")) await new Promise((res) => p.stdin.once("drain", res));
    p.stdin.end();
  })();
  let buf: Buffer = Buffer.alloc(0);
  let idx = 0;
  let need = -1; // bytes of the current object body (+1 for LF), -1 when expecting a header
  for await (const chunk of p.stdout) {
    buf = buf.length ? Buffer.concat([buf, chunk as Buffer]) : (chunk as Buffer);
    for (;;) {
      if (need < 0) {
        const nl = buf.indexOf(10);
        if (nl === -1) break;
        const header = buf.subarray(0, nl).toString();
        buf = buf.subarray(nl + 1);
        if (header.endsWith(" missing") || header.endsWith(" ambiguous")) {
          idx++;
          continue;
        }
        need = Number(header.split(" ")[2]) + 1;
      }
      if (buf.length < need) break;
      onObject(idx++, Buffer.from(buf.subarray(0, need - 1)));
      buf = buf.subarray(need);
      need = -1;
    }
  }
  await done;
}

async function gitRoot(cwd: string): Promise<string> {
  return (await run("git", ["rev-parse", "--show-toplevel"], cwd)).toString().trim();
}

async function scanStaged(cwd: string, sink: (f: Reported[]) => void): Promise<string> {
  const root = await gitRoot(cwd);
  const names = (await run("git", ["diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR"], root))
    .toString()
    .split("\0")
    .filter(Boolean);
  const safe = names.filter((n) => !n.includes("\n"));
  await catFileBatch(root, safe.map((n) => `:${n}`), (i, data) => sink(scanBytes(data, { path: safe[i] })));
  return root;
}

/**
 * Every blob of every commit, each read once, attributed to the oldest commit and path that
 * introduced it: the backfill's engine (src/sources/history.ts). Blobs no ref reaches are left out.
 */
async function scanHistory(cwd: string, sink: (f: Reported[]) => void): Promise<string> {
  const root = await gitRoot(cwd);
  const r = await scanRepoHistory(root);
  sink(r.findings.map(({ commitSha, author: _a, authorEmail: _e, date: _d, blob: _b, ...f }) => ({ ...f, commit: commitSha })));
  return root;
}

