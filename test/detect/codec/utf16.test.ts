import { describe, expect, it } from "vitest";
import { decodeUtf16Bom, utf16, utf16Bom } from "../../../src/detect/codec/utf16.js";

describe("utf16 codec", () => {
  it("collapses NUL-interleaved runs (LE and BE) seen through latin1", () => {
    const le = Buffer.from("id=AKIA1234 ok", "utf16le").toString("latin1");
    const d = utf16.decode(`\x01\x02${le}\x03`)!;
    expect(d.text).toContain("id=AKIA1234 ok");
    expect(d.map[2]).toBe(2);
    const be = Buffer.from("id=AKIA1234 ok", "utf16le").swap16().toString("latin1");
    expect(utf16.decode(be)!.text).toBe("\0id=AKIA1234 ok");
  });
  it("keeps the byte before a run apart from it (a .NET string heap's length byte)", () => {
    const secret = "t+Mq".repeat(10);
    const heap = Buffer.concat([Buffer.from([0, 0x51]), Buffer.from(secret, "utf16le"), Buffer.from([0])]).toString("latin1");
    const d = utf16.decode(heap)!;
    expect(d.text).toContain(` ${secret} `);
    expect(d.map[d.text.indexOf(secret)]).toBe(2);
  });
  it("triggers only with NULs and a UTF-16 prefix", () => {
    expect(utf16.triggers("AKIA", { prefixOffsets: [0] })).toEqual([]);
    expect(utf16.triggers("A\0K\0I\0A\0", { prefixOffsets: [] })).toEqual([2]);
  });
  it("decodes BOM-prefixed buffers", () => {
    expect(decodeUtf16Bom(Buffer.from([0xff, 0xfe, 0x41, 0]))).toBe("A");
    expect(decodeUtf16Bom(Buffer.from([0xfe, 0xff, 0, 0x41]))).toBe("A");
    expect(decodeUtf16Bom(Buffer.from("AB"))).toBeUndefined();
  });
  it("names the encoding of a byte-order mark", () => {
    expect(utf16Bom(Buffer.from([0xff, 0xfe, 0x41]))).toBe("utf-16le");
    expect(utf16Bom(Buffer.from([0xfe, 0xff]))).toBe("utf-16be");
    expect(utf16Bom(Buffer.from([0xfe]))).toBeUndefined();
    expect(utf16Bom(Buffer.from([0xef, 0xbb, 0xbf]))).toBeUndefined();
  });
});
