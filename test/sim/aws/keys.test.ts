import { describe, expect, it } from "vitest";
import { decodeAccountFromKeyId, encodeKeyId } from "../../../src/sim/aws/index.js";
import { base32Decode, base32Encode, randomSecret } from "../../../src/sim/aws/keys.js";

describe("access key IDs", () => {
  it("decodes AWS's own key IDs (public offline decoding)", () => {
    // A real temporary key ID published with the technique; its account is 609629065308.
    expect(decodeAccountFromKeyId("ASIAY34FZKBOKMUTVV7A")).toBe("609629065308");
  });

  it("round-trips the account through encodeKeyId", () => {
    for (const acct of ["000000000001", "000000000042", "123456789012", "999999999999", "609629065308"]) {
      for (const prefix of ["AKIA", "ASIA"]) {
        const id = encodeKeyId(prefix, acct);
        expect(id).toMatch(new RegExp(`^${prefix}[A-Z2-7]{16}$`));
        expect(decodeAccountFromKeyId(id)).toBe(acct);
      }
    }
  });

  it("generates distinct IDs for the same account", () => {
    const ids = new Set(Array.from({ length: 200 }, () => encodeKeyId("AKIA", "123456789012")));
    expect(ids.size).toBe(200);
  });

  it("rejects what is not a key ID", () => {
    expect(decodeAccountFromKeyId("AKIA123")).toBeUndefined();
    expect(decodeAccountFromKeyId("akiaiosfodnn7example")).toBeUndefined();
    expect(() => encodeKeyId("AKIA", "12345")).toThrow();
  });

  it("base32 is RFC 4648", () => {
    expect(base32Encode(new TextEncoder().encode("foobar"))).toBe("MZXW6YTBOI");
    expect(new TextDecoder().decode(base32Decode("MZXW6YTBOI"))).toBe("foobar");
  });

  it("secrets are 40 chars of A-Za-z0-9/+", () => {
    for (let i = 0; i < 50; i++) expect(randomSecret()).toMatch(/^[A-Za-z0-9/+]{40}$/);
  });
});
