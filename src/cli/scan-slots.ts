// What the scanning threads share: one Int32Array of counters, and the messages helpers send.
// Kept apart from scan-pool.ts so that a helper thread loads nothing it does not run.

/** Slots of the shared Int32Array. HOLD + i: the file helper i is on, or one of the states below. */
export const NEXT = 0;
export const PUBLISHED = 1;
export const EPOCH = 2; // bumped on each publish and at the end of the walk: what waiting helpers watch
export const DONE = 3;
export const HOLD = 4;
export const IDLE = -1;
export const CLAIMING = -2;
export const NOT_STARTED = -3;

/** The next unclaimed file, or -1 when all published files are claimed. */
export function claim(s: Int32Array): number {
  for (;;) {
    const i = Atomics.load(s, NEXT);
    if (i >= Atomics.load(s, PUBLISHED)) return -1;
    if (Atomics.compareExchange(s, NEXT, i, i + 1) === i) return i;
  }
}

/** From a helper: a file that may hold a key (this thread scans it), a read error, or the end. */
export type Reply = { hit: number } | { error: [string, string] } | { done: true };

export interface HelperData {
  keyfenceScanWorker: true;
  shared: SharedArrayBuffer;
  slot: number;
  port: import("node:worker_threads").MessagePort;
}
