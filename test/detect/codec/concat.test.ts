import { describe, expect, it } from "vitest";
import { concat, SPLIT_HEADS, SPLIT_TAILS } from "../../../src/detect/codec/concat.js";

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
});
