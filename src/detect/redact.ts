export function redactKeyId(keyId: string): string {
  if (keyId.length <= 8) return "…";
  return `${keyId.slice(0, 4)}…${keyId.slice(-4)}`;
}
