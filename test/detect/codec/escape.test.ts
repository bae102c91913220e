import { describe, expect, it } from "vitest";
import { escape } from "../../../src/detect/codec/escape.js";

describe("escape codec", () => {
  it("decodes JSON, \\x, \\u{}, and HTML entity escapes", () => {
    expect(escape.decode(String.raw`a\/b\nc\u0041\x42\u{43}&#x2F;&#43;\\`)!.text).toBe("a/b\ncABC/+\\");
  });
  it("maps decoded chars to the start of their escape", () => {
    const d = escape.decode(String.raw`x\/y`)!;
    expect(d.text).toBe("x/y");
    expect([...d.map]).toEqual([0, 1, 3]);
  });
  it("triggers on encoded prefixes and on prefixes near backslashes", () => {
    expect(escape.triggers(String.raw`"\u0041KIA`, { prefixOffsets: [] })).toEqual([1]);
    expect(escape.triggers("AKIA no escapes", { prefixOffsets: [0] })).toEqual([]);
  });
});
