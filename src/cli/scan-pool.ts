// Scans the files under paths on this thread and, once there is enough to do, on helper
// threads (one per extra CPU). The walk publishes paths as it finds them; every thread claims
// the next unclaimed file from a shared counter, so no thread waits on another and nothing is
// sent per file. Helpers read and prefilter; the few files that pass come back here to be
// scanned, so that only this thread compiles the full scanner (a new thread starts cold).
import { availableParallelism } from "node:os";
import { MessageChannel, Worker, isMainThread, receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import type { Finding } from "../detect/index.js";
import { errorCode, scanFile, triageFile } from "./scan-file.js";
import { walk } from "./walk.js";

/** Slots of the shared Int32Array. HOLD + i: the file helper i is on, or one of the states below. */
const NEXT = 0;
const PUBLISHED = 1;
const EPOCH = 2; // bumped on each publish and at the end of the walk: what waiting helpers watch
const DONE = 3;
const HOLD = 4;
const IDLE = -1;
const CLAIMING = -2;
const NOT_STARTED = -3;

/**
 * When helpers pay for their start-up (a new thread boots, then compiles the prefilter: ~0.1 s of
 * CPU each). With 3 or more CPUs: as soon as the walk has found HELPERS_FROM_FILES files, or once
 * this thread has been scanning HELPERS_AFTER_MS with files left. With 2, V8's own background
 * threads (compiler, GC) already take much of the second CPU, so a helper only pays off on big
 * jobs; it starts once this thread has been at it for TWO_CPU_HELPER_AFTER_MS. Measured on 2 CPUs
 * (alone / helper from the start / helper after 300 ms): 200 MiB 0.43 / 0.47 / 0.43 s (never
 * started), 1.2 GiB 1.8 / 1.3 / 1.4 s. The first few hundred milliseconds' pace did not tell
 * the two apart reliably (the scanner is still being compiled).
 */
const HELPERS_FROM_FILES = 64;
const HELPERS_AFTER_MS = 25;
const TWO_CPU_HELPER_AFTER_MS = 300;
/** Paths are handed to helpers in groups of this many. */
const PUBLISH_EVERY = 64;

/** The next unclaimed file, or -1 when all published files are claimed. */
function claim(s: Int32Array): number {
  for (;;) {
    const i = Atomics.load(s, NEXT);
    if (i >= Atomics.load(s, PUBLISHED)) return -1;
    if (Atomics.compareExchange(s, NEXT, i, i + 1) === i) return i;
  }
}

/** From a helper: a file for this thread to scan, findings of a big file, a read error, or the end. */
type Reply = { hit: number } | { findings: Finding[] } | { error: [string, string] } | { done: true };

interface Helper {
  w: Worker;
  /** paths out, replies in */
  port: MessagePort;
  slot: number;
  /** done, or failed (its held file is then scanned here) */
  finished: boolean;
}

export interface ScanSink {
  findings(f: Finding[]): void;
  /** A path that could not be read. */
  warn(path: string, e: unknown): void;
  /** A path left alone on purpose (a symlink out of the tree). */
  note?(path: string, why: string): void;
}

export interface PoolOptions {
  /** Threads in all, this one included (default: one per CPU, at most 8). */
  threads?: number;
  /**
   * false: helpers start at once and claim every file; this thread only scans what they hand
   * back. For a caller that keeps this thread for other work (and how the helpers' whole path,
   * hand-backs included, is exercised deterministically).
   */
  claimHere?: boolean;
}

export interface PoolResult {
  /** false when a root cannot be read */
  ok: boolean;
  files: number;
  /** files scanned on this thread; the rest were ruled out (or scanned whole) by helpers */
  scannedHere: number;
}

/** Scans every file under `roots`. */
export async function scanPaths(roots: string[], sink: ScanSink, opts: PoolOptions = {}): Promise<PoolResult> {
  const threads = Math.max(1, Math.floor(opts.threads ?? Math.min(availableParallelism(), 8)));
  const shared = new Int32Array(new SharedArrayBuffer(4 * (HOLD + threads)));
  const paths: string[] = [];
  const helpers: Helper[] = [];
  /** Files this thread scans for a helper: those that passed its prefilter or that it dropped. */
  const handed: number[] = [];
  const scannedHere = new Set<number>();
  let wake: (() => void) | undefined;
  const poke = () => {
    wake?.();
    wake = undefined;
  };

  const publish = (done: boolean) => {
    const from = Atomics.load(shared, PUBLISHED);
    if (paths.length > from) {
      const fresh = paths.slice(from);
      for (const h of helpers) h.port.postMessage(fresh);
      Atomics.store(shared, PUBLISHED, paths.length);
    }
    if (done) Atomics.store(shared, DONE, 1);
    Atomics.add(shared, EPOCH, 1);
    Atomics.notify(shared, EPOCH);
  };

  const onReply = (h: Helper, m: Reply) => {
    if ("hit" in m) handed.push(m.hit);
    else if ("findings" in m) sink.findings(m.findings);
    else if ("error" in m) sink.warn(m.error[0], Object.assign(new Error(m.error[1]), { code: m.error[1] }));
    else h.finished = true;
    poke();
  };
  /** Replies are taken between files too, so that hits are scanned while helpers go on. */
  const drain = () => {
    for (const h of helpers) for (let m = receiveMessageOnPort(h.port); m; m = receiveMessageOnPort(h.port)) onReply(h, m.message as Reply);
  };

  let started = false;
  const startHelpers = () => {
    started = true;
    for (let slot = 0; slot < threads - 1; slot++) {
      Atomics.store(shared, HOLD + slot, NOT_STARTED);
      const { port1, port2 } = new MessageChannel();
      let w: Worker;
      try {
        w = startWorker({ keyfenceScanWorker: true, shared: shared.buffer, slot, port: port2 }, [port2]);
      } catch {
        return; // no (more) helpers: this thread scans the rest
      }
      const h: Helper = { w, port: port1, slot, finished: false };
      port1.postMessage(paths.slice(0, Atomics.load(shared, PUBLISHED)));
      port1.on("message", (m: Reply) => onReply(h, m));
      const fail = () => {
        if (h.finished) return;
        h.finished = true;
        const held = Atomics.exchange(shared, HOLD + slot, IDLE);
        if (held >= 0) handed.push(held);
        poke();
      };
      w.on("error", fail);
      w.on("exit", fail);
      helpers.push(h);
    }
  };

  let ok = true;
  for (const root of roots) {
    const found = walk(
      root,
      (p) => {
        paths.push(p);
        if (paths.length - Atomics.load(shared, PUBLISHED) < PUBLISH_EVERY) return;
        if (!started && threads > 2 && paths.length >= HELPERS_FROM_FILES) startHelpers();
        publish(false);
      },
      sink.warn,
      sink.note,
    );
    ok &&= found;
  }
  const helpersOnly = opts.claimHere === false && threads > 1;
  if (helpersOnly && !started) startHelpers();
  publish(true);

  let here = 0;
  const scanOne = (i: number) => {
    here++;
    try {
      const f = scanFile(paths[i]!);
      if (f.length) sink.findings(f);
    } catch (e) {
      sink.warn(paths[i]!, e);
    }
  };
  const scanHanded = () => {
    for (let i = handed.pop(); i !== undefined; i = handed.pop()) {
      if (scannedHere.has(i)) continue;
      scannedHere.add(i);
      scanOne(i);
    }
  };
  // Once every file is claimed, a helper that has started is waited for (its replies come before
  // its "done"); one still starting will find nothing left to claim.
  const waitFor = (h: Helper) => !h.finished && (helpersOnly || Atomics.load(shared, HOLD + h.slot) !== NOT_STARTED);
  const t0 = performance.now();
  let n = 0;
  try {
    for (;;) {
      if (!helpersOnly || helpers.every((h) => h.finished)) {
        for (let i = claim(shared); i >= 0; i = claim(shared)) {
          scanOne(i);
          if (helpers.length) {
            if ((++n & 7) === 0) drain();
            scanHanded();
          } else if (!started && threads > 1 && performance.now() - t0 > (threads > 2 ? HELPERS_AFTER_MS : TWO_CPU_HELPER_AFTER_MS) && Atomics.load(shared, NEXT) < paths.length) {
            startHelpers();
            publish(true);
          }
        }
      }
      drain();
      scanHanded();
      if (!helpers.some(waitFor)) break;
      await new Promise<void>((r) => (wake = r));
    }
  } finally {
    for (const h of helpers) {
      h.port.close();
      h.w.unref();
      if (!h.finished) void h.w.terminate();
    }
  }
  return { ok, files: paths.length, scannedHere: here };
}

/** This module, started again as a worker thread (through tsx's loader when run from source). */
function startWorker(data: object, transferList: MessagePort[]): Worker {
  const self = import.meta.url;
  if (!self.endsWith(".ts")) return new Worker(new URL(self), { workerData: data, transferList });
  const api = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(self)}); });`;
  return new Worker(boot, { eval: true, workerData: data, transferList });
}

interface HelperData {
  keyfenceScanWorker: true;
  shared: SharedArrayBuffer;
  slot: number;
  port: MessagePort;
}

/** A helper: triages claimed files until the walk is over and every file is claimed. */
function helperLoop({ shared: sab, slot, port }: HelperData): void {
  const s = new Int32Array(sab);
  const paths: string[] = [];
  const post = (m: Reply) => port.postMessage(m);
  for (;;) {
    const epoch = Atomics.load(s, EPOCH);
    Atomics.store(s, HOLD + slot, CLAIMING);
    const i = claim(s);
    if (i < 0) {
      Atomics.store(s, HOLD + slot, IDLE);
      if (Atomics.load(s, DONE)) break;
      Atomics.wait(s, EPOCH, epoch, 1000);
      continue;
    }
    Atomics.store(s, HOLD + slot, i);
    // The paths were posted before they were published.
    while (paths.length <= i) {
      const m = receiveMessageOnPort(port);
      if (m) for (const p of m.message as string[]) paths.push(p);
      else Atomics.wait(s, EPOCH, Atomics.load(s, EPOCH), 1);
    }
    try {
      const r = triageFile(paths[i]!);
      if (r === "hit") post({ hit: i });
      else if (r.length) post({ findings: r });
    } catch (e) {
      post({ error: [paths[i]!, errorCode(e)] });
    }
  }
  post({ done: true });
}

if (!isMainThread && (workerData as HelperData | null)?.keyfenceScanWorker) helperLoop(workerData as HelperData);
