// What helper threads decide alone: whether a file may hold a key (src/cli/triage.ts). A "no"
// is final (the file is never scanned), so it must never be said of a file the scanner finds a
// key in, wherever the key lies against the blocks the file is read in.
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KEY } from "./detect/helpers.js";
import { mayHoldKey } from "../src/cli/triage.js";
import { scanFile } from "../src/cli/scan-file.js";
import { NEEDLE_REACH, candidateOffsets } from "../src/detect/prefilter.js";

const BLOCK = 16 << 20;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "keyfence-triage-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file of `size` bytes of text filler (no NUL) with `text` written at `at`. */
function fileWith(name: string, size: number, text: Buffer | string, at: number): string {
  const p = join(dir, name);
  writeFileSync(p, Buffer.alloc(size, "filler line\n"));
  const fd = openSync(p, "r+");
  try {
    const b = Buffer.isBuffer(text) ? text : Buffer.from(text);
    writeSync(fd, b, 0, b.length, at);
  } finally {
    closeSync(fd);
  }
  return p;
}

describe("mayHoldKey", () => {
  it("says yes to a small file with a key, plain or base64, and no to one without", () => {
    expect(mayHoldKey(fileWith("plain.env", 4096, `\nk=${KEY}\n`, 100))).toBe(true);
    expect(mayHoldKey(fileWith("b64.yaml", 4096, `\nk: ${Buffer.from(`id=${KEY}`).toString("base64")}\n`, 100))).toBe(true);
    expect(mayHoldKey(fileWith("clean.txt", 4096, "\nnothing here\n", 100))).toBe(false);
  });

  it("finds a key cut by any block boundary of a big file, where the scanner finds it", () => {
    const line = `\nk=${KEY}\n`;
    // The needle's first byte from NEEDLE_REACH before the boundary to just after it.
    for (let d = -line.length - 2; d <= 2; d++) {
      const p = fileWith("cut.log", BLOCK + 4096, line, BLOCK + d);
      expect(scanFile(p).map((f) => f.keyId), `key at block boundary ${d}`).toEqual([KEY]);
      expect(mayHoldKey(p), `key at block boundary ${d}`).toBe(true);
    }
    expect(mayHoldKey(fileWith("clean.log", 2 * BLOCK + 4096, "\nnothing\n", BLOCK - 3))).toBe(false);
  }, 60_000);

  it("reaches back far enough for the longest needle (base64 cut by the boundary)", () => {
    const encoded = `\ndata: ${Buffer.from(`aws_access_key_id = ${KEY}`).toString("base64")}\n`;
    const [needle] = candidateOffsets(Buffer.from(encoded));
    expect(needle).toBeDefined();
    // The boundary after each byte of the needle.
    for (let cut = 1; cut < NEEDLE_REACH; cut++) {
      const p = fileWith("b64cut.log", BLOCK + 4096, encoded, BLOCK - needle! - cut);
      expect(scanFile(p).map((f) => f.keyId)).toEqual([KEY]);
      expect(mayHoldKey(p), `base64 needle cut after ${cut} bytes`).toBe(true);
    }
  }, 60_000);

  it("counts UTF-16 text in a later block of a big file, with no NUL in its first bytes", () => {
    const utf16 = Buffer.from(`\nkey=${KEY}\n`, "utf16le");
    const p = fileWith("utf16-late.bin", BLOCK + (1 << 20), utf16, BLOCK + 12345);
    expect(scanFile(p).map((f) => f.keyId)).toContain(KEY);
    expect(mayHoldKey(p)).toBe(true);
  }, 60_000);

  it("throws when the file cannot be read", () => {
    expect(() => mayHoldKey(join(dir, "missing"))).toThrow(/ENOENT/);
  });
});
