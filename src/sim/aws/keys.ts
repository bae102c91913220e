import { randomBytes, randomInt, randomUUID } from "node:crypto";

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(s: string): Uint8Array {
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of s.toUpperCase()) {
    const v = B32.indexOf(ch);
    if (v < 0) throw new Error(`invalid base32 character ${JSON.stringify(ch)}`);
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

export type KeyPrefix = "AKIA" | "ASIA";

/** An access key ID whose 16 trailing characters encode the account, as AWS's do (decodable offline). */
export function encodeKeyId(prefix: KeyPrefix | string, accountId: string): string {
  if (!/^\d{12}$/.test(accountId)) throw new Error(`not a 12-digit account ID: ${accountId}`);
  // Bit 47 is set in every current-format key AWS issues (they start AKIAQ…AKIA7); pre-2016 ones (AKIAI…, AKIAJ…) lack it.
  const z = (1n << 47n) | (BigInt(accountId) << 7n) | BigInt(randomInt(128));
  const bytes = new Uint8Array(10);
  for (let i = 0; i < 6; i++) bytes[i] = Number((z >> BigInt(8 * (5 - i))) & 0xffn);
  bytes.set(randomBytes(4), 6);
  return prefix + base32Encode(bytes);
}

/** The account encoded in an access key ID (AKIA…/ASIA…, 20 chars), or undefined if it is not one. */
export function decodeAccountFromKeyId(keyId: string): string | undefined {
  if (!/^[A-Z]{4}[A-Z2-7]{16}$/.test(keyId)) return undefined;
  const bytes = base32Decode(keyId.slice(4));
  let z = 0n;
  for (let i = 0; i < 6; i++) z = (z << 8n) | BigInt(bytes[i]);
  return ((z & 0x7fffffffff80n) >> 7n).toString().padStart(12, "0");
}

const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";

export function randomSecret(length = 40): string {
  let s = "";
  for (let i = 0; i < length; i++) s += SECRET_ALPHABET[randomInt(SECRET_ALPHABET.length)];
  return s;
}

/** Opaque session token (AWS's are ~400-1000 base64 chars starting with a fixed prefix). */
export function randomSessionToken(): string {
  return "IQoJb3JpZ2luX2VjE" + randomBytes(300).toString("base64");
}

/** Unique IDs of IAM principals: AIDA (user), AROA (role), 21 chars of [A-Z2-7]. */
export function principalId(prefix: "AIDA" | "AROA", accountId: string): string {
  return encodeKeyId(prefix, accountId) + B32[randomInt(32)];
}

export function requestId(): string {
  return randomUUID();
}

export function secretSuffix(): string {
  const a = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  let s = "";
  for (let i = 0; i < 6; i++) s += a[randomInt(a.length)];
  return s;
}
