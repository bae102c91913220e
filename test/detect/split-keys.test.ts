// A key ID cut into string literals at any position, the 4-letter prefix included:
// `"AK" + "IA…"` must pass the prefilters and come out of the concat codec whole.
import { describe, expect, it } from "vitest";
import { createStreamScanner, scanBytes, scanText, type Finding } from "../../src/detect/index.js";
import { makeKeyId, makeSecret } from "./helpers.js";

const STYLES: Array<{ name: string; render: (a: string, b: string) => string }> = [
  { name: "JS +", render: (a, b) => `const id = "${a}" + "${b}";` },
  { name: "JS template +", render: (a, b) => `const id = \`${a}\` +\n  \`${b}\`;` },
  { name: "Python implicit", render: (a, b) => `ID = ('${a}'\n      '${b}')` },
  { name: "PHP .", render: (a, b) => `$id = '${a}' . '${b}';` },
  { name: "Lua ..", render: (a, b) => `local id = "${a}" .. "${b}"` },
  { name: "Go + across lines", render: (a, b) => `id := "${a}" +\n\t"${b}"` },
  { name: "C# @", render: (a, b) => `var id = "${a}" + @"${b}";` },
  { name: "JS .concat", render: (a, b) => `const id = "${a}".concat("${b}");` },
  { name: "Java StringBuilder", render: (a, b) => `String id = new StringBuilder().append("${a}").append("${b}").toString();` },
  { name: "VB & _", render: (a, b) => `Dim id = "${a}" & _\r\n    "${b}"` },
  { name: "Python join", render: (a, b) => `ID = "".join(["${a}", "${b}"])` },
  { name: "Kotlin joinToString", render: (a, b) => `val id = listOf("${a}", "${b}").joinToString("")` },
  { name: "R paste0", render: (a, b) => `id <- paste0("${a}", "${b}")` },
  { name: "Rust concat!", render: (a, b) => `let id = concat!("${a}", "${b}");` },
  { name: "C# string.Concat", render: (a, b) => `var id = string.Concat("${a}", "${b}");` },
];

const KEYS = ["AKIA", "ASIA", "ABIA", "ACCA"].map((p, i) => makeKeyId(p, 123456789012n + BigInt(i), 0x1234567n + BigInt(i)));

/** Line and column (1-based) where the content of the first literal starting with `a` starts. */
function where(src: string, a: string): { line: number; column: number } {
  const at = Math.min(...['"', "'", "`"].map((q) => src.indexOf(q + a)).filter((i) => i >= 0)) + 1;
  expect(src.startsWith(a, at)).toBe(true);
  const before = src.slice(0, at);
  return { line: before.split("\n").length, column: at - before.lastIndexOf("\n") };
}

describe("keys split by string concatenation", () => {
  it("are found whatever the cut, the prefix included, in text and bytes", () => {
    for (const key of KEYS) {
      for (let cut = 1; cut < key.length; cut++) {
        for (const { name, render } of STYLES) {
          const a = key.slice(0, cut);
          const src = `// config\n${render(a, key.slice(cut))}\n`;
          const expected = { keyId: key, encoding: "concat", ...where(src, a) };
          const label = `${name}, cut after ${cut}`;
          expect(scanText(src).filter((f) => f.keyId === key), label).toMatchObject([expected]);
          expect(scanBytes(Buffer.from(src)).filter((f) => f.keyId === key), label).toMatchObject([expected]);
        }
      }
    }
  });

  it("pair with their secret", () => {
    const key = KEYS[0]!;
    const secret = makeSecret(3);
    const [f] = scanText(`const creds = {\n  accessKeyId: "AK" + "${key.slice(2)}",\n  secretAccessKey: "${secret}",\n};\n`);
    expect(f).toMatchObject({ keyId: key, secret, line: 2, column: 17 });
  });

  it("are found deep in a large input (windows) and in a stream", () => {
    const key = KEYS[1]!;
    const filler = "lorem ipsum dolor sit amet, consectetur adipiscing elit\n".repeat(20000);
    const src = `${filler}id = "ASI" .. "${key.slice(3)}"\n${filler}`;
    const line = 20001;
    const buf = Buffer.from(src);
    expect(buf.length).toBeGreaterThan(1 << 20);
    expect(scanBytes(buf)).toMatchObject([{ keyId: key, line, column: 7 }]);
    const sc = createStreamScanner({ chunkSize: 64 << 10 });
    const got: Finding[] = [];
    for (let i = 0; i < buf.length; i += 50000) got.push(...sc.push(buf.subarray(i, i + 50000)));
    got.push(...sc.end());
    expect(got).toMatchObject([{ keyId: key, line, column: 7 }]);
  });

  it("are not made up from words that merely end like a prefix", () => {
    expect(scanText(`msg = "BREAK" + "IA${"Q".repeat(16)}"\nx = "PEAK" + 'I' + "A${"Z".repeat(16)}"\n`)).toEqual([]);
  });
});
