import { describe, expect, it } from "vitest";
import { qp } from "../../../src/detect/codec/qp.js";
import { scanString } from "../../../src/detect/engine.js";
import { scanBytes, scanText } from "../../../src/detect/index.js";
import { makeKeyId, makeSecret } from "../helpers.js";

const key = makeKeyId("AKIA", 123456789012n, 0x9e11n);
const secret = makeSecret(77); // holds a `/`

/** Quoted-printable as mail clients write it: `=` as =3D, `/` as =2F, lines cut at 76 by a soft break. */
function encodeQp(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      const enc = line.replace(/=/g, "=3D").replace(/\//g, "=2F");
      const out: string[] = [];
      let rest = enc;
      while (rest.length > 75) {
        let cut = 75;
        while (/=[0-9A-F]?$/.test(rest.slice(0, cut))) cut--; // never inside an escape
        out.push(`${rest.slice(0, cut)}=`);
        rest = rest.slice(cut);
      }
      out.push(rest);
      return out.join("\n");
    })
    .join("\n");
}

/** The line the key starts on, read without soft breaks and escapes (each decodes to one char). */
function lineOfKey(text: string): number {
  let line = 1;
  let plain = "";
  const lines: number[] = []; // line of each char of `plain`
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith("=\n", i)) {
      i++;
      line++;
      continue;
    }
    const esc = /^=[0-9A-F]{2}/.test(text.slice(i, i + 3));
    plain += esc ? "?" : text[i];
    lines.push(line);
    if (esc) i += 2;
    else if (text[i] === "\n") line++;
  }
  return lines[plain.indexOf(key)]!;
}

const mail = (body: string) =>
  `From: it@acme.io\nSubject: Your AWS credentials\nContent-Transfer-Encoding: quoted-printable\n\n${encodeQp(body)}\n`;

describe("quoted-printable codec", () => {
  it("decodes =3D, =2F, =2B and soft line breaks, mapping each char to where it came from", () => {
    const d = qp.decode("a=3Db=2Fc=2Bd=\ne=\r\nf")!;
    expect(d.text).toBe("a=b/c+def");
    expect([...d.map]).toEqual([0, 1, 4, 5, 8, 9, 12, 15, 19]);
  });

  it("leaves base64 padding `==` at a line's end alone", () => {
    expect(qp.decode("QUtJQQ==\nQUtJQQ==\n")).toBeNull();
  });

  it("triggers only where the text looks quoted-printable, on prefixes, cut ones too", () => {
    expect(qp.triggers("x=AKIA\nBQ==\n", { prefixOffsets: [2] })).toEqual([]);
    expect(qp.triggers("x=3DAKIA", { prefixOffsets: [4] })).toEqual([4]);
    expect(qp.triggers("key =3D AK=\nIA", { prefixOffsets: [] })).toEqual([8]);
    expect(qp.triggers("key =3D AKI=\r\nA", { prefixOffsets: [] })).toEqual([8]);
  });

  it("finds key, secret and the key's line in a mail body, wherever a soft break falls", () => {
    let cutPrefix = 0;
    for (let pad = 0; pad < 80; pad++) {
      const body = `Hi,\n\nHere you are ${"x".repeat(pad)}: aws_access_key_id=${key} aws_secret_access_key=${secret}\n\nRegards, IT`;
      const text = mail(body);
      const line = lineOfKey(text);
      const want = [{ keyId: key, secret, line }];
      expect(scanString(text), `pad ${pad}`).toMatchObject(want);
      // A break inside the prefix itself: the prefilter knows it by QP_NEEDLES.
      if (!text.includes(key.slice(0, 4))) cutPrefix++;
      expect(scanText(text), `pad ${pad}`).toMatchObject(want);
      expect(scanBytes(Buffer.from(text)), `pad ${pad}`).toMatchObject(want);
    }
    expect(cutPrefix).toBeGreaterThan(0);
  });

  it("finds the key of a `name=3Dvalue` line", () => {
    const text = `Content-Transfer-Encoding: quoted-printable\r\n\r\naws_access_key_id=3D${key}\r\naws_secret_access_key=3D${secret.replace("/", "=2F")}\r\n`;
    expect(scanBytes(Buffer.from(text))).toMatchObject([{ keyId: key, secret, line: 3, column: 21 }]);
  });
});
