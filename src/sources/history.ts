// A repository's whole history, scanned blob by blob: every distinct blob reachable or stored in
// the repository is read once (`git cat-file --batch-all-objects`, in pack order), scanned with the
// detector's prefilter, and only the few blobs that hold a key are traced back to the commits that
// introduced them (one `git log --raw` walk). No commit is diffed; memory stays bounded by the
// largest blob kept whole, whatever the size of the pack.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { availableParallelism } from "node:os";
import { createStreamScanner, scanBytes, type Finding } from "../detect/index.js";

export interface HistoryOptions {
  /** Blobs up to this size are scanned whole; larger ones are streamed in chunks. */
  wholeBlobLimit?: number;
  /** Blobs larger than this are not scanned at all (counted as skipped). Default 256 MiB. */
  maxBlobBytes?: number;
  /** Called every so often with the running totals. */
  onProgress?(p: HistoryProgress): void;
  /** Revisions to attribute against (default `--all`: every ref, pull-request refs included). */
  revs?: string[];
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
  seconds: number;
}

const WHOLE = 32 << 20;

/** Scans every blob of the repository at `gitDir` (bare or not) and attributes what it finds. */
export async function scanHistory(gitDir: string, opts: HistoryOptions = {}): Promise<HistoryResult> {
  const t0 = performance.now();
  const hits = new Map<string, Finding[]>();
  const totals = await scanAllBlobs(gitDir, opts, (blob, fs) => hits.set(blob, fs));
  const findings: HistoryFinding[] = [];
  const unreachable: HistoryResult["unreachable"] = [];
  if (hits.size > 0) {
    const origins = await introductions(gitDir, new Set(hits.keys()), opts.revs ?? ["--all"]);
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
 * Reads every blob once, in pack order, and hands over those with findings. One git process lists
 * the objects (`--batch-check`: headers only), then `parallel` others read the blobs (`--batch`),
 * each a contiguous run of the pack so delta bases stay in its cache; trees and commits are never
 * inflated, and nothing is held but the blob being scanned (large ones are streamed in chunks).
 */
export async function scanAllBlobs(
  gitDir: string,
  opts: HistoryOptions,
  onHit: (blob: string, findings: Finding[]) => void,
): Promise<{ blobs: number; bytes: number; skipped: number }> {
  const whole = opts.wholeBlobLimit ?? WHOLE;
  const max = opts.maxBlobBytes ?? 256 << 20;
  const parallel = Math.max(1, opts.parallel ?? Math.min(2, availableParallelism()));
  const procs: ChildProcessWithoutNullStreams[] = [];
  const kill = () => procs.forEach((p) => p.kill());
  opts.signal?.addEventListener("abort", kill, { once: true });
  try {
    // The list: 40 hex characters and a size per blob — small next to the blobs themselves.
    const lister = git(gitDir, ["cat-file", "--batch-all-objects", "--unordered", "--batch-check=%(objecttype) %(objectname) %(objectsize)"]);
    procs.push(lister.child);
    const shas: string[] = [];
    const sizes: number[] = [];
    let skipped = 0;
    let total = 0;
    let rest = "";
    lister.child.stdout.setEncoding("latin1");
    for await (const chunk of lister.child.stdout as AsyncIterable<string>) {
      const text = rest + chunk;
      const nl = text.lastIndexOf("\n");
      rest = text.slice(nl + 1);
      for (const l of text.slice(0, nl).split("\n")) {
        if (!l.startsWith("blob ")) continue;
        const sp = l.indexOf(" ", 5);
        const size = Number(l.slice(sp + 1));
        if (size > max) {
          skipped++;
          continue;
        }
        shas.push(l.slice(5, sp));
        sizes.push(size);
        total += size;
      }
    }
    await lister.done;

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
    // Contiguous parts of about equal bytes.
    const parts: Array<[number, number]> = [];
    let from = 0;
    let acc = 0;
    for (let i = 0; i < shas.length; i++) {
      acc += sizes[i]!;
      if (acc >= (total / parallel) * (parts.length + 1) && parts.length < parallel - 1) {
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
    return { blobs: state.blobs, bytes: state.bytes, skipped };
  } finally {
    opts.signal?.removeEventListener("abort", kill);
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

/**
 * For each wanted blob, every (commit, path) where a commit made that path hold it: one walk of
 * every ref (`git log --raw`, merges against their first parent), no content read.
 */
export async function introductions(gitDir: string, wanted: Set<string>, revs: string[] = ["--all"]): Promise<Map<string, Origin[]>> {
  const out = new Map<string, Origin[]>();
  const p = git(gitDir, [
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
    ...revs,
  ]);
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
  p.child.stdout.setEncoding("utf8");
  for await (const chunk of p.child.stdout as AsyncIterable<string>) {
    const text = rest + chunk;
    const parts = text.split("\0");
    rest = parts.pop()!;
    for (const t of parts) onToken(t);
  }
  if (rest) onToken(rest);
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
