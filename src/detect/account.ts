// Offline account decoding of current-format key IDs (Aidan Steele's research):
// the 16 base32 characters after the prefix hold 10 bytes; bits 46..7 of the
// first 6 bytes are the account ID.
const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const CURRENT_ID = /^A[A-Z0-9]{3}[A-Z2-7]{16}$/;

export function accountFromKeyId(keyId: string): string | undefined {
  if (!CURRENT_ID.test(keyId)) return undefined;
  const body = keyId.slice(4);
  // Pre-2016 keys (AKIAI…/AKIAJ…, [A-Z0-9]) carry no account; those with a
  // 0, 1, 8 or 9 are rejected above. One made only of base32 characters cannot
  // be told apart from a current-format ID (AWS sets bit 47, so real ones start
  // with Q-Z/2-7; generators that do not, e.g. the simulator, may start with I/J).
  let z = 0n;
  // 48 bits = first 9.6 chars; take 10 chars (50 bits) and drop the 2 extra.
  for (let i = 0; i < 10; i++) z = (z << 5n) | BigInt(B32.indexOf(body[i]!));
  z >>= 2n;
  const account = (z & 0x7fffffffff80n) >> 7n;
  if (account > 999_999_999_999n) return undefined;
  return account.toString().padStart(12, "0");
}
