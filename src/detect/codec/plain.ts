// Bytes to text: UTF-8 (BOM stripped), UTF-16 with BOM, otherwise latin1 so that
// ASCII runs inside binary files keep their byte offsets. Byte-order marks only
// count at the start of the input (`atStart`), never at the start of a window.
import { Buffer, isAscii, isUtf8 } from "node:buffer";
import { decodeUtf16Bom } from "./utf16.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export interface DecodedBytes {
  text: string;
  encoding?: string;
}

export function decodeBytes(bytes: Uint8Array, atStart = true): DecodedBytes {
  const u16 = atStart ? decodeUtf16Bom(bytes) : undefined;
  if (u16 !== undefined) return { text: u16, encoding: "utf16" };
  let start = 0;
  if (atStart && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  const body = bytes.subarray(start);
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (isAscii(body)) return { text: buf.toString("latin1") };
  if (isUtf8(body)) return { text: utf8.decode(body) };
  return { text: buf.toString("latin1") };
}
