import type { Reported, ReportOptions } from "./types.js";
import { isLive } from "./types.js";

export function formatText(findings: Reported[], o: ReportOptions): string {
  const lines: string[] = [];
  for (const f of findings) {
    const where = `${f.commit ? `${f.commit.slice(0, 12)}:` : ""}${printable(f.path ?? "-")}:${f.line}:${f.column}`;
    const id = o.showSecrets ? f.keyId : f.redacted;
    const extra: string[] = [];
    if (f.accountHint) extra.push(`account ${f.accountHint}`);
    if (f.encoding) extra.push(`via ${f.encoding}`);
    extra.push(f.secret ? "secret paired" : "no secret found");
    if (o.showSecrets && f.secret) extra.push(`secret ${f.secret}`);
    if (o.showSecrets && f.sessionToken) extra.push(`session token ${f.sessionToken}`);
    lines.push(`${where}: ${f.kind} ${id} (${extra.join(", ")})`);
  }
  const live = findings.filter(isLive).length;
  lines.push(`${findings.length} finding(s), ${live} live or temporary`);
  return lines.join("\n") + "\n";
}

/** A file name as one line of plain text: a newline or a terminal escape in it is shown escaped. */
function printable(name: string): string {
  return name.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
