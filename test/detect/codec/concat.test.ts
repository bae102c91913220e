import { describe, expect, it } from "vitest";
import { concat, SPLIT_HEADS, SPLIT_TAILS } from "../../../src/detect/codec/concat.js";
import { scanBytes } from "../../../src/detect/index.js";
import { makeKeyId, makeSecret } from "../helpers.js";

const ctx = { prefixOffsets: [] };

describe("concat codec", () => {
  it("joins JS + across lines, Python implicit and backslash continuation, PHP dot", () => {
    expect(concat.decode(`k = "AK" +\n   "IA";`)!.text).toBe(`k = "AKIA";`);
    expect(concat.decode(`k = ('AK'\n 'IA')`)!.text).toBe(`k = ('AKIA')`);
    expect(concat.decode(`k = 'AK' \\\n 'IA'`)!.text).toBe(`k = 'AKIA'`);
    expect(concat.decode(`$k = 'AK' . 'IA';`)!.text).toBe(`$k = 'AKIA';`);
  });
  it("joins Lua .., Haskell/Erlang ++, Elixir <>, OCaml ^, D ~, VB &, SQL ||", () => {
    for (const op of ["..", "++", "<>", "^", "~", "&", "||"]) expect(concat.decode(`k = "AK" ${op} "IA"`)!.text, op).toBe(`k = "AKIA"`);
  });
  it("joins the items of a list that a call joins", () => {
    expect(concat.decode(`k = "".join(["AK", "IA", "01"])`)!.text).toBe(`k = "".join(["AKIA01"])`);
    expect(concat.decode(`k = ''.join((\n  'AK',\n  'IA',\n))`)!.text).toBe(`k = ''.join((\n  'AKIA',\n))`);
    expect(concat.decode(`const k = ["AK", "IA"].join("");`)!.text).toBe(`const k = ["AKIA"].join("");`);
    expect(concat.decode(`k := strings.Join([]string{"AK", "IA"}, "")`)!.text).toBe(`k := strings.Join([]string{"AKIA"}, "")`);
    expect(concat.decode(`String k = String.join("", "AK", "IA");`)!.text).toBe(`String k = String.join("AKIA");`);
    expect(concat.decode(`$k = implode('', ['AK', 'IA']);`)!.text).toBe(`$k = implode('', ['AKIA']);`);
    expect(concat.decode(`SELECT CONCAT('AK', 'IA')`)!.text).toBe(`SELECT CONCAT('AKIA')`);
  });
  it("joins .concat()/.append() chains, VB's `& _` line continuation, and more joining calls", () => {
    expect(concat.decode(`const id = "AK".concat("IA");`)!.text).toBe(`const id = "AKIA");`);
    expect(concat.decode(`new StringBuilder().append("AK").append("IA").toString()`)!.text).toBe(`new StringBuilder().append("AKIA").toString()`);
    expect(concat.decode(`s = "AK" & _\r\n    "IA"`)!.text).toBe(`s = "AKIA"`);
    expect(concat.decode(`val k = listOf("AK", "IA").joinToString("")`)!.text).toBe(`val k = listOf("AKIA").joinToString("")`);
    expect(concat.decode(`k <- paste0("AK", "IA")`)!.text).toBe(`k <- paste0("AKIA")`);
    expect(concat.decode(`let k = concat!("AK", "IA");`)!.text).toBe(`let k = concat!("AKIA");`);
    expect(concat.decode(`var k = string.Concat("AK", "IA");`)!.text).toBe(`var k = string.Concat("AKIA");`);
    expect(concat.decode(`let k = ["AK", "IA"].joined()`)!.text).toBe(`let k = ["AKIA"].joined()`);
    expect(concat.decode(`Stream.of("AK", "IA").collect(Collectors.joining())`)!.text).toBe(`Stream.of("AKIA").collect(Collectors.joining())`);
  });
  it("takes a backslash-newline out of a double-quoted literal, and maps what is left back", () => {
    const src = `export T="AB\\\nCD\\\r\nEF"`;
    const d = concat.decode(src)!;
    expect(d.text).toBe(`export T="ABCDEF"`);
    expect([...d.map].slice(10, 16).map((i) => src[i])).toEqual(["A", "B", "C", "D", "E", "F"]);
    expect(concat.decode(`T='AB\\\nCD'`)).toBeNull();
  });
  it("does not join list items or separate statements", () => {
    expect(concat.decode(`creds = ("AKIA01", "secret")`)).toBeNull();
    expect(concat.decode(`f("AK", "IA")`)).toBeNull();
    expect(concat.decode(`["a", "b"]`)).toBeNull();
    expect(concat.decode(`x = "a"\ny = "b"`)).toBeNull();
    expect(concat.decode(`f("a" - "b")`)).toBeNull();
  });
  it("maps joined chars back to their literal", () => {
    const src = `"AB" + "CD"`;
    const d = concat.decode(src)!;
    expect(d.text).toBe(`"ABCD"`);
    expect([...d.map].slice(1, 5).map((i) => src[i])).toEqual(["A", "B", "C", "D"]);
  });
  it("triggers where a literal ends or starts inside a key prefix", () => {
    expect(SPLIT_HEADS).toContain(`AK"`);
    expect(SPLIT_HEADS).toContain(`ACC'`);
    expect(SPLIT_TAILS).toContain("`SIA");
    expect(concat.triggers(`k = "AK" + "IA0123"`, ctx)).toEqual([5]);
    expect(concat.triggers(`k = 'AKI' . 'A0123'`, ctx)).toEqual([5]);
    expect(concat.triggers(`k = "A" .. "KIA0123"`, ctx)).toEqual([12]);
    // not inside a word, and nothing without a cut prefix
    expect(concat.triggers(`k = "BREAK" + "x"`, ctx)).toEqual([]);
    expect(concat.triggers(`k = "ab" + "cd"`, ctx)).toEqual([]);
  });
  it("gives a session token wrapped with backslash-newline in a shell string whole", () => {
    const key = makeKeyId("ASIA", 123456789012n, 0x77n);
    const secret = makeSecret(77);
    let token = "IQoJb3JpZ2luX2VjE";
    for (let i = 0; token.length < 500; i++) token += makeSecret(i + 100).replace(/\//g, "+");
    const parts = token.match(/.{1,90}/g)!;
    for (const eol of ["\n", "\r\n"]) {
      const sh = `export AWS_ACCESS_KEY_ID=${key}${eol}export AWS_SECRET_ACCESS_KEY=${secret}${eol}export AWS_SESSION_TOKEN="${parts.join(`\\${eol}`)}"${eol}`;
      expect(scanBytes(Buffer.from(sh)), JSON.stringify(eol)).toMatchObject([{ keyId: key, secret, sessionToken: token, line: 1, column: 26 }]);
    }
  });
});
