// Scans the files under paths on this thread and, once there is enough to do, on helper
// threads (one per extra CPU). The walk publishes paths as it finds them; every thread claims
// the next unclaimed file from a shared counter, so no thread waits on another and nothing is
// sent per file. Helpers read and prefilter; the few files that pass come back here to be
// scanned, so that only this thread compiles the full scanner (a new thread starts cold).
import { availableParallelism } from "node:os";
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import type { Finding } from "../detect/index.js";
import { scanFile } from "./scan-file.js";
import { DONE, EPOCH, HOLD, IDLE, NEXT, NOT_STARTED, PUBLISHED, claim, type HelperData, type Reply } from "./scan-slots.js";
import { walk } from "./walk.js";

/**
 * Helpers start as soon as the walk has found HELPERS_FROM_FILES files, or once this thread has
 * been scanning HELPERS_AFTER_MS with files left (a few big files). A helper loads only the
 * prefilter (scan-helper.ts): it is up in ~40 ms, against ~80 ms for the whole scanner. Measured
 * on 2 CPUs, 201 MiB in 2 885 files, 30 alternating runs (min / p25 / median wall time): this
 * thread alone 349 / 420 / 532 ms, with a light helper from the start 338 / 391 / 462 ms.
 */
const HELPERS_FROM_FILES = 64;
const HELPERS_AFTER_MS = 25;
/** Paths are handed to helpers in groups of this many. */
const PUBLISH_EVERY = 64;

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
        if (!started && threads > 1 && paths.length >= HELPERS_FROM_FILES) startHelpers();
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
          } else if (!started && threads > 1 && performance.now() - t0 > HELPERS_AFTER_MS && Atomics.load(shared, NEXT) < paths.length) {
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

/** A helper thread (scan-helper.ts; through tsx's loader when run from source). */
function startWorker(data: HelperData, transferList: MessagePort[]): Worker {
  const fromSource = import.meta.url.endsWith(".ts");
  const helper = new URL(fromSource ? "./scan-helper.ts" : "./scan-helper.js", import.meta.url);
  if (!fromSource) return new Worker(helper, { workerData: data, transferList });
  const api = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(helper.href)}); });`;
  return new Worker(boot, { eval: true, workerData: data, transferList });
}
