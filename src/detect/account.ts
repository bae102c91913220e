// Offline account decoding of current-format key IDs (Aidan Steele's research):
// the 16 base32 characters after the prefix hold 10 bytes; bits 46..7 of the
// first 6 bytes are the account ID.
const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const CURRENT_ID = /^A[A-Z0-9]{3}[A-Z2-7]{16}$/;

export function accountFromKeyId(keyId: string): string | undefined {
  if (!CURRENT_ID.test(keyId)) return undefined;
  const body = keyId.slice(4);
  // Pre-2016 keys (AKIAI…/AKIAJ…, [A-Z0-9]) carry no account. Current ones have
  // bit 47 set, so their first character after the prefix is Q-Z or 2-7.
  if (B32.indexOf(body[0]!) < 16) return undefined;
  let z = 0n;
  // 48 bits = first 9.6 chars; take 10 chars (50 bits) and drop the 2 extra.
  for (let i = 0; i < 10; i++) z = (z << 5n) | BigInt(B32.indexOf(body[i]!));
  z >>= 2n;
  const account = (z & 0x7fffffffff80n) >> 7n;
  if (account > 999_999_999_999n) return undefined;
  return account.toString().padStart(12, "0");
}
