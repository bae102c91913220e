// Fake but well-formed credentials for tests.
const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";

/** Inverse of accountFromKeyId: a current-format key ID for `account`. */
export function makeKeyId(prefix: string, account: bigint, rnd = 0x5a5a5a5an): string {
  const z = (1n << 47n) | (account << 7n) | 0x15n;
  const v = (z << 32n) | (rnd & 0xffffffffn);
  let out = prefix;
  for (let i = 0; i < 16; i++) out += B32[Number((v >> BigInt(75 - 5 * i)) & 31n)];
  return out;
}

export function makeSecret(seed: number): string {
  let x = seed >>> 0 || 1;
  let s = "";
  for (let i = 0; i < 40; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    s += SECRET_ALPHABET[x % 62]!; // letters and digits; '/' and '+' are inserted below
  }
  // guarantee the three classes and one slash
  return "Ab1" + s.slice(3, 20) + "/" + s.slice(21);
}

export const KEY = makeKeyId("AKIA", 123456789012n);
export const SECRET = makeSecret(42);
