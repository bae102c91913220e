// Pairing decided by what a value is called and how it is written: secrets only base64-encoded,
// AWS names with a foreign-sounding word, a key in a comment after a secret, far secrets, markdown
// emphasis, and long base64 that is not a session token.
import { describe, expect, it } from "vitest";
import { scanText } from "../../src/detect/index.js";
import { makeKeyId, makeSecret } from "./helpers.js";

const K = (n: number) => makeKeyId("AKIA", BigInt(520000000000 + n * 4099), BigInt(n * 65537));
const A = (n: number) => makeKeyId("ASIA", BigInt(520000000000 + n * 4099), BigInt(n * 65537));
const S = (n: number) => makeSecret(n * 61 + 13);
const b64 = (s: string) => Buffer.from(s).toString("base64");

type Want = Array<[string, string | undefined]>;
function expectPairs(text: string, want: Want): void {
  const got = scanText(text);
  for (const [k, sec] of want) expect(got.find((f) => f.keyId === k)?.secret, k).toBe(sec);
  expect(got.filter((f) => f.kind !== "example").map((f) => f.keyId).sort()).toEqual(want.map(([k]) => k).sort());
}

describe("a secret only base64-encoded, its key plain", () => {
  it("B: FileZilla's <Pass encoding=\"base64\">", () => {
    const xml = `<Server>\n\t<Host>s3.amazonaws.com</Host>\n\t<User>${K(1)}</User>\n\t<Pass encoding="base64">${b64(S(1))}</Pass>\n</Server>\n`;
    expectPairs(xml, [[K(1), S(1)]]);
  });

  it("B: k8s ConfigMap data with the key, then a Secret's data with the secret", () => {
    const y = `kind: ConfigMap\ndata:\n  AWS_ACCESS_KEY_ID: ${K(2)}\n  AWS_REGION: eu-west-1\n---\nkind: Secret\ntype: Opaque\ndata:\n  AWS_SECRET_ACCESS_KEY: ${b64(S(2))}\n`;
    expectPairs(y, [[K(2), S(2)]]);
  });

  it("B: k8s Secret, key in stringData and secret in data", () => {
    const y = `kind: Secret\nstringData:\n  access_key_id: ${K(3)}\ndata:\n  secret_access_key: ${b64(S(3))}\n`;
    expectPairs(y, [[K(3), S(3)]]);
  });

  it("B: an unnamed base64 value is not a secret", () => {
    expectPairs(`${K(4)}\n${b64(S(4))}\n`, [[K(4), undefined]]);
    expectPairs(`access_key_id: ${K(5)}\nchecksum_blob: ${b64(S(5))}\n`, [[K(5), undefined]]);
  });
});

describe("AWS names holding a word of another service", () => {
  it("C: the name also names an AWS service", () => {
    expectPairs(`DB_BACKUP_S3_ACCESS_KEY=${K(6)}\nDB_BACKUP_S3_SECRET_KEY=${S(6)}\n`, [[K(6), S(6)]]);
    expectPairs(`DOCKER_REGISTRY_S3_ACCESS_KEY=${K(7)}\nDOCKER_REGISTRY_S3_SECRET_KEY=${S(7)}\n`, [[K(7), S(7)]]);
    expectPairs(`GITHUB_SES_ACCESS_KEY_ID=${K(8)}\nGITHUB_SES_SECRET=${S(8)}\n`, [[K(8), S(8)]]);
  });

  it("C: the secret's name has the key's qualifier", () => {
    expectPairs(`DB_BACKUP_ACCESS_KEY=${K(9)}\nDB_BACKUP_SECRET_KEY=${S(9)}\n`, [[K(9), S(9)]]);
  });

  it("C: another qualifier's foreign secret stays rejected", () => {
    expectPairs(`DB_BACKUP_ACCESS_KEY=${K(10)}\nSTRIPE_SECRET_KEY=${S(10)}\n`, [[K(10), undefined]]);
    expectPairs(`AWS_ACCESS_KEY_ID=${K(11)}\nJWT_SECRET=${S(11)}\n`, [[K(11), undefined]]);
  });
});

describe("a key in a comment after a secret", () => {
  it("D: the secret stays with the key of its record", () => {
    expectPairs(`[default]\naws_access_key_id = ${K(12)}\naws_secret_access_key = ${S(12)}  ; replaces ${K(13)} (deactivated)\nregion = us-east-1\n`, [
      [K(12), S(12)],
      [K(13), undefined],
    ]);
  });
});

describe("a secret far from its key", () => {
  it("E: named only `secret`, blank lines between", () => {
    expectPairs(`key: ${K(14)}\n${"\n".repeat(30)}secret: ${S(14)}\n`, [[K(14), S(14)]]);
  });
});

describe("markdown emphasis", () => {
  it("F: _secret_ is the secret", () => {
    expectPairs(`Access key: **${K(15)}**\n\nSecret: _${S(15)}_\n`, [[K(15), S(15)]]);
    expectPairs(`key: ${K(16)}\nsecret: _${S(16)}_.\n`, [[K(16), S(16)]]);
  });

  it("F: an identifier's underscores are no emphasis", () => {
    expectPairs(`key: ${K(17)}\nsecret: x_${S(17)}_y\n`, [[K(17), undefined]]);
  });
});

describe("long base64 that is not a session token", () => {
  const jwt =
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0." +
    Buffer.from(JSON.stringify({ iss: "https://login.acme.io/realms/acme", sub: "f3a1c2d4-5b6e-4f70-8a91-b2c3d4e5f607", aud: "upload-api", exp: 1712059200, scope: "openid profile email upload:write", email: "dev@acme.io" })).toString("base64url") +
    ".c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl";
  const image = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 97 + 31) % 256)).toString("base64");

  it("H: a JWT's segments", () => {
    const t = `POST https://api.acme.io/upload\nAuthorization: Bearer ${jwt}\nX-Upload-Key: ${A(18)}\n`;
    expect(scanText(t).find((f) => f.keyId === A(18))?.sessionToken).toBeUndefined();
    const seg = jwt.split(".")[1]!.replace(/[-_]/g, "A");
    expect(scanText(`id: ${A(19)}\njwt: x.${seg}.y\n`).find((f) => f.keyId === A(19))?.sessionToken).toBeUndefined();
  });

  it("H: a data: URI", () => {
    const t = `<p>Temporary key <code>${A(20)}</code></p>\n<img alt="logo" src="data:image/png;base64,${image}">\n`;
    expect(scanText(t).find((f) => f.keyId === A(20))?.sessionToken).toBeUndefined();
  });

  it("H: a value named Bearer or Authorization", () => {
    for (const line of [`Authorization: ${image}`, `bearer ${image}`]) {
      const t = `key: ${A(21)}\n${line}\n`;
      expect(scanText(t).find((f) => f.keyId === A(21))?.sessionToken, line.slice(0, 14)).toBeUndefined();
    }
  });

  it("H: real session tokens still pair", () => {
    const body = image.replace(/=+$/, "");
    for (const [line, tok] of [
      [`X-Amz-Security-Token: ${body}`, body],
      [`Authorization: IQoJb3JpZ2lu${body}`, "IQoJb3JpZ2lu" + body],
      [`aws_session_token = ${body}`, body],
    ] as const) {
      const t = `aws_access_key_id = ${A(22)}\n${line}\n`;
      expect(scanText(t).find((f) => f.keyId === A(22))?.sessionToken, line.slice(0, 20)).toBe(tok);
    }
  });
});

describe("a session token hard-wrapped over lines", () => {
  let token = "IQoJb3JpZ2luX2VjE";
  for (let i = 0; token.length < 700; i++) token += makeSecret(i + 300).replace(/\//g, "+");
  token = token.slice(0, 697);
  const wrapped = (t: string, width: number, eol = "\n") => t.match(new RegExp(`.{1,${width}}`, "g"))!.join(eol);

  it("comes out whole from a note, at 64 or 76 columns, LF or CRLF, the next line not glued on", () => {
    for (const [width, eol] of [[64, "\n"], [76, "\r\n"]] as const) {
      const note = `Creds for the incident:${eol}${eol}Access key: ${A(30)}${eol}Secret: ${S(30)}${eol}Session token:${eol}${wrapped(token, width, eol)}${eol}Expiration${eol}2026-11-29T12:00:00Z${eol}`;
      expect(scanText(note), `${width}`).toMatchObject([{ keyId: A(30), secret: S(30), sessionToken: token }]);
    }
  });

  it("is not made of a wrapped base64 body that does not start as STS tokens do", () => {
    const pem = Buffer.from(token.repeat(2)).toString("base64");
    const t = `aws_access_key_id = ${A(31)}\nsecret: ${S(31)}\ncert: |\n${wrapped(pem.slice(0, 640), 64)}\n`;
    expect(scanText(t).find((f) => f.keyId === A(31))?.sessionToken).toBeUndefined();
  });
});

describe("names written the ways a third probe found", () => {
  it("a secret introduced in prose beats a nearer unnamed 40-character string", () => {
    const X = makeSecret(9999);
    for (const intro of ["secret was", "its secret is", "secret -", "the secret:"]) expectPairs(`key ${K(40)}\n${X}\n${intro} ${S(40)}\n`, [[K(40), S(40)]]);
  });

  it("qualifiers when every key comes first: PROD_/DEV_ session tokens, one-letter prefixes", () => {
    const tok = (n: number) => `IQoJb3JpZ2luX2VjE${makeSecret(n).replace(/\//g, "+").repeat(4)}`;
    const env = [
      `PROD_AWS_ACCESS_KEY_ID=${A(41)}`,
      `PROD_AWS_SECRET_ACCESS_KEY=${S(41)}`,
      `DEV_AWS_ACCESS_KEY_ID=${A(42)}`,
      `DEV_AWS_SECRET_ACCESS_KEY=${S(42)}`,
      `PROD_AWS_SESSION_TOKEN=${tok(41)}`,
      `DEV_AWS_SESSION_TOKEN=${tok(42)}`,
    ].join("\n");
    const f = scanText(env);
    expect(f.find((x) => x.keyId === A(41))).toMatchObject({ secret: S(41), sessionToken: tok(41) });
    expect(f.find((x) => x.keyId === A(42))).toMatchObject({ secret: S(42), sessionToken: tok(42) });
    expectPairs(`A_KEY=${K(43)}\nB_KEY=${K(44)}\nA_SECRET=${S(43)}\nB_SECRET=${S(44)}\n`, [[K(43), S(43)], [K(44), S(44)]]);
  });

  it("names split over a map: `access_keys:` then `prod:`, block and flow style", () => {
    const block = `access_keys:\n  prod: ${K(45)}\n  staging: ${K(46)}\nsecret_keys:\n  prod: ${S(45)}\n  staging: ${S(46)}\n`;
    expectPairs(block, [[K(45), S(45)], [K(46), S(46)]]);
    const flow = `access_keys: {prod: ${K(45)}, staging: ${K(46)}}\nsecret_keys: {prod: ${S(45)}, staging: ${S(46)}}\n`;
    expectPairs(flow, [[K(45), S(45)], [K(46), S(46)]]);
  });
});
