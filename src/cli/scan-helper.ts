// A helper thread of a path scan (started by scan-pool.ts): it claims files, reads them and runs
// the prefilter; the few that pass go back to the main thread to be scanned. It loads only the
// prefilter, so that it starts in a third of the time the whole scanner would take.
import { isMainThread, receiveMessageOnPort, workerData } from "node:worker_threads";
import { CLAIMING, DONE, EPOCH, HOLD, IDLE, claim, type HelperData, type Reply } from "./scan-slots.js";
import { errorCode, mayHoldKey } from "./triage.js";

/** Triages claimed files until the walk is over and every file is claimed. */
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
      if (mayHoldKey(paths[i]!)) post({ hit: i });
    } catch (e) {
      post({ error: [paths[i]!, errorCode(e)] });
    }
  }
  post({ done: true });
}

if (!isMainThread && (workerData as HelperData | null)?.keyfenceScanWorker) helperLoop(workerData as HelperData);
