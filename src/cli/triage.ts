// Whether a file may hold a key: read in blocks and run through the prefilter only (what helper
// threads do). A "yes" is then scanned in full by scanFile; a "no" must be right, so each block
// is searched with the tail of the one before it (a needle cut by the boundary is whole there).
import { closeSync, openSync, readSync } from "node:fs";
import { NEEDLE_REACH, candidateOffsets } from "../detect/prefilter.js";

const BLOCK = 16 << 20;
let buf: Buffer | undefined;

export function mayHoldKey(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    buf ??= Buffer.allocUnsafe(BLOCK);
    for (let kept = 0; ; ) {
      let n = kept;
      for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, null);
      const last = n < buf.length;
      if (candidateOffsets(buf.subarray(0, n), 1).length) return true;
      if (last) return false;
      buf.copyWithin(0, n - NEEDLE_REACH, n);
      kept = NEEDLE_REACH;
    }
  } finally {
    closeSync(fd);
  }
}

/** The error code of a failed read (ENOENT, EACCES…), for the warning. */
export const errorCode = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;
