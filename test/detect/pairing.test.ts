// Formats and pairing situations beyond the fixture corpus, one line each.
import { describe, expect, it } from "vitest";
import { scanText } from "../../src/detect/index.js";
import { makeKeyId, makeSecret } from "./helpers.js";
const K = (n: number) => makeKeyId("AKIA", BigInt(300000000000 + n * 7777), BigInt(n * 99991));
const S = (n: number) => makeSecret(n * 31 + 7);
const T = (n: number) => makeKeyId("ASIA", BigInt(300000000000 + n * 7777), BigInt(n * 99991));
const cases: Array<[string, string, Array<[string, string | undefined]>]> = [
  ["py dict one line w/ distractor", `cfg = {"id": "${K(1)}", "etag": "${S(99).replace(/\//g, "x")}", "secret": "${S(1)}"}`, [[K(1), S(1)]]],
  ["xml entity plus", `<k>${K(2)}</k><s>${S(2).replace("/", "&#x2F;")}</s>`, [[K(2), S(2)]]],
  ["go raw string", "var id = `" + K(3) + "`\nvar secret = `" + S(3) + "`\n", [[K(3), S(3)]]],
  ["token before key", `aws_session_token = IQoJb3JpZ2luX2VjE${"A1b2C3d4".repeat(40)}\naws_secret_access_key = ${S(4)}\naws_access_key_id = ${T(4)}\n`, [[T(4), S(4)]]],
  ["two sections, second without key", `[a]\nkey=${K(5)}\nsecret=${S(5)}\n[b]\nsecret=${S(6)}\n`, [[K(5), S(5)]]],
  ["key only then secret of other file part far", `key=${K(7)}\n${"x\n".repeat(40)}secret=${S(7)}\n`, [[K(7), undefined]]],
  ["tfvars", `aws_access_key = "${K(8)}"\naws_secret_key = "${S(8)}"\n`, [[K(8), S(8)]]],
  ["env with comment", `AWS_ACCESS_KEY_ID=${K(9)} # prod\nAWS_SECRET_ACCESS_KEY=${S(9)} # prod\n`, [[K(9), S(9)]]],
  ["jupyter output", JSON.stringify({ outputs: [{ text: [`key ${K(10)}\n`, `secret ${S(10)}\n`] }] }), [[K(10), S(10)]]],
  ["java props escaped", `aws.accessKey=${K(11)}\naws.secretKey=${S(11).replace(/\//g, "\\/")}\n`, [[K(11), S(11)]]],
  ["url with plus unescaped", `s3://${K(12)}:${S(12)}@bucket/path`, [[K(12), S(12)]]],
  ["secret with trailing equals?", `id=${K(13)}\nsecret=${S(13)}\n`, [[K(13), S(13)]]],
  ["hex sha near", `id: ${K(14)}\nsha: 3f786850e387550fdab836ed7e6dc881de23001b\n`, [[K(14), undefined]]],
  ["key in quotes lowercase name", `"aws_access_key_id": "${K(15)}",\n"aws_secret_access_key": "${S(15)}"`, [[K(15), S(15)]]],
  ["yaml list of creds", `- id: ${K(16)}\n  secret: ${S(16)}\n- id: ${K(17)}\n  secret: ${S(17)}\n`, [[K(16), S(16)], [K(17), S(17)]]],
  ["kv same line spaces", `${K(18)} ${S(18)}`, [[K(18), S(18)]]],
  ["markdown inline code", `Use \`${K(19)}\` and \`${S(19)}\``, [[K(19), S(19)]]],
  ["base64url k8s", `AWS_ACCESS_KEY_ID: ${Buffer.from(K(20)).toString("base64url")}\nAWS_SECRET_ACCESS_KEY: ${Buffer.from(S(20)).toString("base64url")}`, [[K(20), S(20)]]],
  ["double base64", `v: ${Buffer.from(Buffer.from(`id=${K(21)}\nsecret=${S(21)}\n`).toString("base64")).toString("base64")}`, [[K(21), S(21)]]],
  ["percent key", `q=${encodeURIComponent(K(22)).split("").map((c) => "%" + c.charCodeAt(0).toString(16).toUpperCase()).join("")}`, [[K(22), undefined]]],
  ["c# verbatim concat", `var k = @"${K(23).slice(0, 10)}" + @"${K(23).slice(10)}";`, [[K(23), undefined]]],
  ["powershell backtick", `$k = "${K(24)}"\n$s = "${S(24)}"`, [[K(24), S(24)]]],
  ["example secret stays with the example key", `AKIAIOSFODNN7EXAMPLE\nreal: ${K(26)}\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n`, [[K(26), undefined]]],
  ["name on the line above", `Access key ID:\n  ${K(27)}\nchecksum ${S(98)}\n\nSecret access key:\n  ${S(27)}\n`, [[K(27), S(27)]]],
  ["json escaped newline prefix", JSON.stringify({ creds: `\n${K(25)}\n${S(25)}\n` }), [[K(25), S(25)]]],
  // Found by probing with formats the corpus lacked:
  ["sorted env: _BACKUP goes with _BACKUP", `AWS_ACCESS_KEY_ID="${K(28)}"\nAWS_ACCESS_KEY_ID_BACKUP="${K(29)}"\nAWS_REGION="us-east-1"\nAWS_SECRET_ACCESS_KEY="${S(28)}"\nAWS_SECRET_ACCESS_KEY_BACKUP="${S(29)}"\n`, [[K(28), S(28)], [K(29), S(29)]]],
  ["yaml list, secret first in each item", `credentials:\n  - secret_access_key: ${S(30)}\n    access_key_id: ${K(30)}\n  - secret_access_key: ${S(31)}\n    access_key_id: ${K(31)}\n`, [[K(30), S(30)], [K(31), S(31)]]],
  ["minified objects, secret first", `e.exports={envs:[{name:"prod",secretAccessKey:"${S(32)}",accessKeyId:"${K(32)}"},{name:"stage",secretAccessKey:"${S(33)}",accessKeyId:"${K(33)}"}]}`, [[K(32), S(32)], [K(33), S(33)]]],
  ["named secret 8 lines down beats an unnamed blob next to the key", `deploy_key_id: ${K(34)}\n  upload_nonce: h0vRLh1gg0W+duhvEwsNNadOh2fC0WmeeC6M/wQ9\n${"  step: done\n".repeat(6)}deploy_secret: ${S(34)}\n`, [[K(34), S(34)]]],
  ["AWS_SECRET_ACCESS_KEY beats a closer JWT_SECRET", `AWS_ACCESS_KEY_ID=${K(35)}\nJWT_SECRET=FIHi5L1UMzEue5eiKkthebmIYYbkHYaXVnIQ1dVV\nAWS_SECRET_ACCESS_KEY=${S(35)}\n`, [[K(35), S(35)]]],
  ["yaml folded block scalar", `app:\n  session_secret: ZS6TZFA1wGuVFLU0Jmyx4Cp8MOf0nKw1roHAiH63\n  aws:\n    access_key_id: ${K(36)}\n    secret_access_key: >-\n      ${S(36)}\n`, [[K(36), S(36)]]],
  [".s3cfg: secret_key 30 lines below access_key", `[default]\naccess_key = ${K(37)}\n${Array.from({ length: 30 }, (_, i) => `option_${i} = False`).join("\n")}\nsecret_key = ${S(37)}\n`, [[K(37), S(37)]]],
];
describe("pairing and formats", () => {
  for (const [name, text, want] of cases) {
    it(name, () => {
      const got = scanText(text);
      for (const [k, sec] of want) expect(got.find((f) => f.keyId === k)?.secret, k).toBe(sec);
      expect(got.filter((f) => f.kind !== "example").map((f) => f.keyId).sort()).toEqual(want.map(([k]) => k).sort());
    });
  }
});

describe("session tokens written escaped", () => {
  const tok = `IQoJb3JpZ2luX2VjE${"a1B2c3D4e5".repeat(15)}/${"F6g7H8i9J0".repeat(15)}+${"kLmNoPqRsT".repeat(12)}`;
  it("keeps the whole token, not the longest unescaped piece", () => {
    const json = JSON.stringify({ AccessKeyId: T(40), SecretAccessKey: S(40), SessionToken: tok }).replace(/\//g, "\\/");
    const dotnet = JSON.stringify({ AccessKeyId: T(40), SecretAccessKey: S(40), SessionToken: tok }).replace(/\+/g, "\\u002B");
    const url = `https://b.s3.amazonaws.com/x?X-Amz-Credential=${T(40)}%2F20261129%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token=${encodeURIComponent(tok)}`;
    for (const text of [json, dotnet, url]) expect(scanText(text).find((f) => f.keyId === T(40))?.sessionToken).toBe(tok);
  });
});
