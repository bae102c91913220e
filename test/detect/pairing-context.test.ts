// Pairing where the layout decides: binary records, unified diffs, names in a sibling field,
// Spring-style names, values named for something else, and session-token look-alikes.
import { describe, expect, it } from "vitest";
import { scanBytes, scanText } from "../../src/detect/index.js";
import { pairKeys } from "../../src/detect/pair.js";
import { makeKeyId, makeSecret } from "./helpers.js";

const K = (n: number) => makeKeyId("AKIA", BigInt(410000000000 + n * 6151), BigInt(n * 77773));
const A = (n: number) => makeKeyId("ASIA", BigInt(410000000000 + n * 6151), BigInt(n * 77773));
const S = (n: number) => makeSecret(n * 53 + 11);
/** An unrelated 40-char value of the same shape as a secret. */
const X = (n: number) => makeSecret(n * 97 + 5).replace("/", "q");

type Want = Array<[string, string | undefined]>;
function expectPairs(text: string, want: Want): void {
  const got = scanText(text);
  for (const [k, sec] of want) expect(got.find((f) => f.keyId === k)?.secret, k).toBe(sec);
  expect(got.filter((f) => f.kind !== "example").map((f) => f.keyId).sort()).toEqual(want.map(([k]) => k).sort());
}
const latin1 = (s: string) => Buffer.from(s, "latin1");

describe("secrets in binary data", () => {
  it("B1: a .pyc string followed by marshal's `z` type byte", () => {
    const pyc = latin1(`\x00)\x05\xda\x14${K(1)}z(${S(1)}z\tus-east-1\x00N`);
    expect(scanBytes(pyc)).toMatchObject([{ keyId: K(1), secret: S(1) }]);
  });

  it("B1: in text without NUL bytes a trailing letter still makes a longer run, not a secret", () => {
    expectPairs(`key ${K(2)}\nvalue ${S(2)}z\n`, [[K(2), undefined]]);
  });

  it("A2 (pairing layer): a secret glued to the end of the key ID in binary data", () => {
    const text = `\x00\x135]etl${K(3)}${S(3)}\x00`;
    const at = text.indexOf(K(3));
    expect(pairKeys(text, [{ keyId: K(3), offset: at }])).toMatchObject([{ keyId: K(3), secret: S(3) }]);
    // not in text: there the two are one 60-char run
    const plain = `x ${K(3)}${S(3)} y`;
    expect(pairKeys(plain, [{ keyId: K(3), offset: 2 }])[0]!.secret).toBeUndefined();
  });

  // Needs the key-ID half too (a key glued to letters before it and to the secret after it).
  it("A2: SQLite row, columns back to back", () => {
    expect(scanBytes(latin1(`\x00\x135]etl${K(4)}${S(4)}\x00`))).toMatchObject([{ keyId: K(4), secret: S(4) }]);
  });
});

describe("unified diffs", () => {
  it("B2: secret right after the + of an added line", () => {
    expectPairs(`@@ -0,0 +1,2 @@\n+${K(5)}\n+${S(5)}\n`, [[K(5), S(5)]]);
  });

  it("B2: secret first in an added CSV row", () => {
    expectPairs(`--- a/keys.csv\n+++ b/keys.csv\n@@ -1 +1,2 @@\n secret_access_key,access_key_id\n+${S(6)},${K(6)}\n`, [[K(6), S(6)]]);
  });

  it("B2: outside a diff a leading + still ends a longer run", () => {
    expectPairs(`key: ${K(7)}\nblob:\n+${S(7)}\n`, [[K(7), undefined]]);
  });

  it("C1: removed and added lines interleaved pair by side", () => {
    const d =
      `@@ -1,3 +1,3 @@\n-AWS_ACCESS_KEY_ID=${K(8)}\n+AWS_ACCESS_KEY_ID=${K(9)}\n AWS_REGION=us-east-1\n` +
      `-AWS_SECRET_ACCESS_KEY=${S(8)}\n+AWS_SECRET_ACCESS_KEY=${S(9)}\n`;
    expectPairs(d, [[K(8), S(8)], [K(9), S(9)]]);
  });

  it("C1: a secret on a context line belongs to both sides", () => {
    expectPairs(`@@ -1,2 +1,2 @@\n-AWS_ACCESS_KEY_ID=${K(10)}\n+AWS_ACCESS_KEY_ID=${K(11)}\n AWS_SECRET_ACCESS_KEY=${S(11)}\n`, [
      [K(10), S(11)],
      [K(11), S(11)],
    ]);
  });
});

describe("combined diffs of a merge", () => {
  it("each parent's lines and the result's pair apart", () => {
    const d = `diff --cc creds.txt\n--- a/creds.txt\n+++ b/creds.txt\n@@@ -1,2 -1,2 +1,2 @@@\n- ${K(42)}\n- ${S(42)}\n -${K(43)}\n -${S(43)}\n++${K(44)}\n++${S(44)}\n`;
    expectPairs(d, [[K(42), S(42)], [K(43), S(43)], [K(44), S(44)]]);
  });

  it("a line kept from one parent is in the result too", () => {
    expectPairs(`@@@ -1,1 -1,1 +1,2 @@@\n  AWS_ACCESS_KEY_ID=${K(45)}\n+ ${S(45)}\n`, [[K(45), S(45)]]);
    expectPairs(`@@@ -1,1 -1,1 +1,2 @@@\n  AWS_ACCESS_KEY_ID=${K(46)}\n +${S(46)}\n`, [[K(46), S(46)]]);
  });
});

describe("Spring-style names (. and -)", () => {
  it("C2: grouped by kind", () => {
    expectPairs(`app.logs.access-key=${K(12)}\napp.media.access-key=${K(13)}\napp.logs.secret-key=${S(12)}\napp.media.secret-key=${S(13)}\n`, [
      [K(12), S(12)],
      [K(13), S(13)],
    ]);
  });

  it("C3: secret first, records adjacent", () => {
    expectPairs(`bucket.logs.secret-key=${S(14)}\nbucket.logs.access-key=${K(14)}\nbucket.media.secret-key=${S(15)}\nbucket.media.access-key=${K(15)}\n`, [
      [K(14), S(14)],
      [K(15), S(15)],
    ]);
  });
});

describe("the name in a sibling field", () => {
  it("C4: k8s env list with a closer SESSION_SECRET", () => {
    const y = `env:\n- name: AWS_ACCESS_KEY_ID\n  value: ${K(16)}\n- name: SESSION_SECRET\n  value: ${X(16)}\n- name: AWS_SECRET_ACCESS_KEY\n  value: ${S(16)}\n`;
    expectPairs(y, [[K(16), S(16)]]);
  });

  it("C4: k8s env list with a closer secret of another (not foreign-sounding) name", () => {
    const y = `env:\n- name: AWS_ACCESS_KEY_ID\n  value: ${K(34)}\n- name: APP_SECRET\n  value: ${X(34)}\n- name: AWS_SECRET_ACCESS_KEY\n  value: ${S(34)}\n`;
    expectPairs(y, [[K(34), S(34)]]);
    const ecs = JSON.stringify([{ name: "AWS_ACCESS_KEY_ID", value: K(35) }, { name: "APP_PASSWORD", value: X(35) }, { name: "AWS_SECRET_ACCESS_KEY", value: S(35) }], null, 2);
    expectPairs(ecs, [[K(35), S(35)]]);
  });

  it("C4: ECS task definition, pretty-printed", () => {
    const env = [
      { name: "APP_SESSION_SECRET", value: X(17) },
      { name: "AWS_ACCESS_KEY_ID", value: K(17) },
      { name: "AWS_DEFAULT_REGION", value: "us-east-1" },
      { name: "AWS_SECRET_ACCESS_KEY", value: S(17) },
    ];
    expectPairs(JSON.stringify({ containerDefinitions: [{ name: "app", environment: env }] }, null, 2), [[K(17), S(17)]]);
  });

  it("C4: ECS task definition, one line per entry, value written first", () => {
    const t = `"environment": [\n  {"value": "${K(18)}", "name": "AWS_ACCESS_KEY_ID"},\n  {"value": "${X(18)}", "name": "COOKIE_SECRET"},\n  {"value": "${S(18)}", "name": "AWS_SECRET_ACCESS_KEY"}\n]`;
    expectPairs(t, [[K(18), S(18)]]);
  });

  it("C4: Terraform variable defaults", () => {
    const tf =
      `variable "aws_access_key" {\n  type    = string\n  default = "${K(19)}"\n}\n\nvariable "db_password" {\n  type    = string\n  default = "${X(19)}"\n}\n\n` +
      `variable "aws_secret_key" {\n  type      = string\n  sensitive = true\n  default   = "${S(19)}"\n}\n`;
    expectPairs(tf, [[K(19), S(19)]]);
  });

  it("C4: Terraform one-liners", () => {
    expectPairs(`variable "aws_access_key" { default = "${K(20)}" }\nvariable "db_password" { default = "${X(20)}" }\nvariable "aws_secret_key" {\n  default = "${S(20)}"\n}\n`, [[K(20), S(20)]]);
  });

  it("C4: Terraform one-liners: each value takes its own block's name", () => {
    // db_password's value is not pairable: the name on the line above is another block's.
    expectPairs(`variable "aws_access_key" { default = "${K(36)}" }\nvariable "db_password" { default = "${X(36)}" }\n`, [[K(36), undefined]]);
    expectPairs(`variable "aws_access_key" { default = "${K(37)}" }\noutput "aws_secret_key" { value = "${S(37)}" }\n`, [[K(37), S(37)]]);
  });

  it("C4: CloudFormation parameters", () => {
    const p = [
      { ParameterKey: "AccessKeyId", ParameterValue: K(21) },
      { ParameterKey: "DbPassword", ParameterValue: X(21) },
      { ParameterKey: "SecretAccessKey", ParameterValue: S(21) },
    ];
    expectPairs(JSON.stringify(p, null, 2), [[K(21), S(21)]]);
  });

  it("C4: SSM parameters", () => {
    const p = {
      Parameters: [
        { Name: "/prod/app/access_key_id", Type: "String", Value: K(22) },
        { Name: "/prod/app/jwt_secret", Type: "SecureString", Value: X(22) },
        { Name: "/prod/app/secret_access_key", Type: "SecureString", Value: S(22) },
      ],
    };
    expectPairs(JSON.stringify(p, null, 2), [[K(22), S(22)]]);
  });
});

describe("values named for something else", () => {
  it("D: JWT_SECRET is not the key's secret", () => {
    expectPairs(`AWS_ACCESS_KEY_ID=${K(23)}\nJWT_SECRET=${X(23)}\n`, [[K(23), undefined]]);
  });

  it("D: an upload id in a log", () => {
    expectPairs(`INFO access_key=${K(24)}\nDEBUG upload id=${X(24)}\nDEBUG trace=${X(25)}\n`, [[K(24), undefined]]);
  });

  it("D: other services' and identifiers' names", () => {
    for (const name of ["SESSION_SECRET", "cookieSecret", "CSRF_SECRET", "DB_PASSWORD", "postgres_password", "MYSQL_ROOT_PASSWORD", "REDIS_PASSWORD", "STRIPE_SECRET_KEY", "GITHUB_TOKEN", "SLACK_SIGNING_SECRET", "DJANGO_SECRET_KEY", "SECRET_KEY_BASE", "request_id", "uuid", "sha", "contentHash", "digest", "ETag", "checksum", "commit", "nonce", "fingerprint", "signature", "SENDGRID_API_KEY"]) {
      const got = scanText(`aws_access_key_id = ${K(26)}\n${name} = ${X(26)}\n`);
      expect(got.find((f) => f.keyId === K(26))?.secret, name).toBeUndefined();
    }
  });

  it("D: unnamed neighbours still pair", () => {
    expectPairs(`${K(27)}\n${S(27)}\n`, [[K(27), S(27)]]);
    expectPairs(`user,${K(28)},${S(28)}\n`, [[K(28), S(28)]]);
    expectPairs(`access ${K(29)}\nnote: rotated\nowner: ops\n${S(29)}\n`, [[K(29), S(29)]]);
  });

  it("D: an AWS name with a qualifier that looks foreign still pairs", () => {
    expectPairs(`DB_BACKUP_AWS_ACCESS_KEY_ID=${K(30)}\nDB_BACKUP_AWS_SECRET_ACCESS_KEY=${S(30)}\n`, [[K(30), S(30)]]);
  });
});

describe("session tokens", () => {
  const rnd = (n: number, seed: number) => Array.from({ length: n }, (_, i) => makeSecret(seed + i)).join("").replace(/\//g, "+");
  it("T: an ssh-rsa public key is not a session token", () => {
    const t = `export AWS_ACCESS_KEY_ID=${A(31)}\nexport AWS_SECRET_ACCESS_KEY=${S(31)}\necho 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQ${rnd(13, 3)} me@host' >> ~/.ssh/authorized_keys\n`;
    const f = scanText(t).find((x) => x.keyId === A(31));
    expect(f?.secret).toBe(S(31));
    expect(f?.sessionToken).toBeUndefined();
  });

  it("T: nor an ed25519/ecdsa key, a PEM body or a certificate", () => {
    const bodies = [
      `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5${rnd(3, 40)} me@host`,
      `ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY${rnd(4, 50)} me@host`,
      `sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t${rnd(4, 55)} me@host`,
      `authorized_key: AAAAB3NzaC1yc2EAAAADAQABAAABgQ${rnd(4, 57)}`,
      `"-----BEGIN CERTIFICATE-----${rnd(4, 60)}-----END CERTIFICATE-----"`,
      `certificate: MIIB${rnd(4, 70)}`,
    ];
    for (const b of bodies) {
      const t = `aws_access_key_id = ${A(32)}\naws_secret_access_key = ${S(32)}\n${b}\n`;
      expect(scanText(t).find((x) => x.keyId === A(32))?.sessionToken, b.slice(0, 20)).toBeUndefined();
    }
  });

  it("T: real tokens are still found, named or by their prefix", () => {
    const body = rnd(8, 90);
    for (const [line, tok] of [
      [`aws_session_token = ${body}`, body],
      [`"SessionToken": "${body}"`, body],
      [`X-Amz-Security-Token: ${body}`, body],
      [`${"FwoGZXIvYXdz" + body}`, "FwoGZXIvYXdz" + body],
      [`note: IQoJb3JpZ2luX2Vj${body}`, "IQoJb3JpZ2luX2Vj" + body],
    ] as const) {
      const t = `aws_access_key_id = ${A(33)}\naws_secret_access_key = ${S(33)}\n${line}\n`;
      expect(scanText(t).find((x) => x.keyId === A(33))?.sessionToken, line.slice(0, 20)).toBe(tok);
    }
  });
});

describe("names that are values", () => {
  it("D: a key ID or a random run before the secret is not read as a foreign name", () => {
    // Key IDs ending in letters that spell a foreign word, camel-split random runs containing `Id`.
    for (const tail of ["7ID", "2DB", "5SHA", "9PG"]) {
      const k = K(40).slice(0, 20 - tail.length) + tail;
      expectPairs(`${k} ${S(40)}`, [[k, S(40)]]);
    }
    expectPairs(`${K(41)}\nxQ7Id9rTb2Lk0WmZcV3n ${S(41)}\n`, [[K(41), S(41)]]);
  });
});
