import { describe, expect, it } from "vitest";
import { base64, BASE64_NEEDLES, stableBase64 } from "../../../src/detect/codec/base64.js";
import { KEY } from "../helpers.js";

const ctx = { prefixOffsets: [] };

describe("base64 codec", () => {
  it("has alignment-independent needles for every prefix", () => {
    expect(BASE64_NEEDLES).toHaveLength(12);
    for (const pad of ["", "x", "xy"]) {
      const enc = Buffer.from(pad + KEY).toString("base64");
      expect(stableBase64(Buffer.from("AKIA")).some((n) => enc.includes(n))).toBe(true);
    }
  });

  it("triggers only where a needle occurs", () => {
    const enc = Buffer.from(KEY).toString("base64");
    expect(base64.triggers(`k: ${enc}`, ctx)).not.toEqual([]);
    expect(base64.triggers("plain text without anything", ctx)).toEqual([]);
  });

  it("replaces runs that decode to text and maps offsets back", () => {
    const enc = Buffer.from(`id=${KEY}`).toString("base64");
    const src = `a: ${enc}\nb: ${Buffer.from([0, 1, 2, 250, 251, 252, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]).toString("base64")}`;
    const d = base64.decode(src)!;
    expect(d.text).toContain(`a: id=${KEY}\n`);
    const i = d.text.indexOf(KEY);
    expect(d.map[i]).toBeGreaterThanOrEqual(3);
    expect(d.map[i]).toBeLessThan(3 + enc.length);
    // binary-looking runs are left alone
    expect(d.text).toContain("b: AAEC");
  });

  it("returns null when nothing decodes", () => {
    expect(base64.decode("just some words here")).toBeNull();
  });

  it("decodes base64 of UTF-16LE text (PowerShell -EncodedCommand), wherever the key falls", async () => {
    const { scanText } = await import("../../../src/detect/index.js");
    const { makeKeyId, makeSecret } = await import("../helpers.js");
    for (let pad = 0; pad < 6; pad++) {
      const k = makeKeyId("AKIA", 123456789012n, BigInt(pad));
      const s = makeSecret(pad);
      const cmd = `${"x".repeat(pad)}$env:AWS_ACCESS_KEY_ID='${k}'; $env:AWS_SECRET_ACCESS_KEY='${s}'; aws s3 ls`;
      const text = `<Arguments>-NoProfile -EncodedCommand ${Buffer.from(cmd, "utf16le").toString("base64")}</Arguments>`;
      expect(scanText(text), `pad ${pad}`).toMatchObject([{ keyId: k, secret: s, encoding: "base64" }]);
    }
  });
});
