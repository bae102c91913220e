// Reads and scans one file, in whichever thread calls it. Each thread reads into its own
// buffer, reused from file to file: fresh memory for every file costs page faults.
import { closeSync, openSync, readSync } from "node:fs";
import { scanBytes, createStreamScanner, type Finding } from "../detect/index.js";
export { errorCode } from "./triage.js";

/** Files up to this size are scanned whole; larger ones are streamed. */
const WHOLE_FILE_LIMIT = 16 << 20;
const CHUNK = 4 << 20;
let buf: Buffer | undefined;

/** Scans a file synchronously; memory stays bounded for any size. Throws when it cannot be read. */
export function scanFile(path: string): Finding[] {
  const fd = openSync(path, "r");
  try {
    const n = readHead(fd);
    return n === buf!.length ? scanLarge(fd, path, buf!) : scanBytes(buf!.subarray(0, n), { path });
  } finally {
    closeSync(fd);
  }
}

/** Reads into the buffer until it is full or the file ends; a full buffer means read on. */
function readHead(fd: number): number {
  buf ??= Buffer.allocUnsafe(WHOLE_FILE_LIMIT);
  let n = 0;
  for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, null);
  return n;
}

/** The rest of a file that filled the buffer, through the stream scanner (which copies what it gets). */
function scanLarge(fd: number, path: string, head: Buffer): Finding[] {
  const sc = createStreamScanner({ path });
  const out = sc.push(head);
  const chunk = head.subarray(0, CHUNK);
  for (let n = readSync(fd, chunk, 0, CHUNK, null); n > 0; n = readSync(fd, chunk, 0, CHUNK, null)) out.push(...sc.push(chunk.subarray(0, n)));
  out.push(...sc.end());
  return out;
}
