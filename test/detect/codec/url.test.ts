import { describe, expect, it } from "vitest";
import { url } from "../../../src/detect/codec/url.js";

describe("url codec", () => {
  it("decodes percent escapes and maps each char to its escape", () => {
    const d = url.decode("x=ab%2Fc%2Bd")!;
    expect(d.text).toBe("x=ab/c+d");
    expect(d.map[4]).toBe(4);
    expect(d.map[5]).toBe(7);
  });
  it("leaves control and non-ASCII escapes alone", () => {
    expect(url.decode("a%00b%C3%A9")).toBeNull();
  });
  it("triggers only with a % in the text", () => {
    expect(url.triggers("AKIA", { prefixOffsets: [0] })).toEqual([]);
    expect(url.triggers("AKIA %2F", { prefixOffsets: [0] })).toEqual([0]);
    expect(url.triggers("%41%4B%49%41", { prefixOffsets: [] })).toEqual([0]);
  });
});
