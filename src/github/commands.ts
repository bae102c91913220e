export type Command =
  | { name: "rotate"; dryRun: boolean }
  | { name: "reactivate"; reason: string }
  | { name: "ignore"; reason: string };

/** The keyfence command a comment starts with, if any. Only the first line counts. */
export function parseCommand(body: string): Command | undefined {
  const first = body.trimStart().split(/\r?\n/, 1)[0]?.trim() ?? "";
  const m = /^\/(rotate|reactivate|ignore)\b\s*(.*)$/.exec(first);
  if (!m) return undefined;
  const rest = m[2].trim();
  if (m[1] === "rotate") return { name: "rotate", dryRun: /(^|\s)--dry-run(\s|$)/.test(rest) };
  return { name: m[1] as "reactivate" | "ignore", reason: rest };
}
