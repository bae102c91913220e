import { describe, expect, it } from "vitest";
import { decodeBytes } from "../../../src/detect/codec/plain.js";

describe("plain codec (bytes to text)", () => {
  it("decodes ASCII, UTF-8 (dropping a BOM) and falls back to latin1 for binary", () => {
    expect(decodeBytes(Buffer.from("abc"))).toEqual({ text: "abc" });
    expect(decodeBytes(Buffer.from([0xef, 0xbb, 0xbf, 0xc3, 0xa9]))).toEqual({ text: "é" });
    expect(decodeBytes(Buffer.from([0x41, 0xff, 0x42]))).toEqual({ text: "A\u00ffB" });
  });
  it("decodes UTF-16 with a BOM and tags it", () => {
    expect(decodeBytes(Buffer.from([0xff, 0xfe, 0x41, 0]))).toEqual({ text: "A", encoding: "utf16" });
  });
  it("honours byte-order marks only at the start of the input", () => {
    expect(decodeBytes(Buffer.from([0xff, 0xfe, 0x41, 0x42]), false)).toEqual({ text: "\u00ff\u00feAB" });
    expect(decodeBytes(Buffer.from([0xef, 0xbb, 0xbf, 0x41]), false)).toEqual({ text: "\ufeffA" });
  });
});
