import type { Finding } from "../../detect/index.js";

/** A finding as the CLI reports it: where it came from, in which commit for --history. */
export interface Reported extends Finding {
  commit?: string;
}

export interface ReportOptions {
  showSecrets: boolean;
}

/** The finding with secrets removed unless asked for: only the redacted key ID remains. */
export function publicView(f: Reported, o: ReportOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {
    path: f.path,
    line: f.line,
    column: f.column,
    kind: f.kind,
    redacted: f.redacted,
  };
  if (f.commit) out.commit = f.commit;
  if (f.accountHint) out.accountHint = f.accountHint;
  if (f.encoding) out.encoding = f.encoding;
  out.paired = f.secret !== undefined;
  if (o.showSecrets) {
    out.keyId = f.keyId;
    if (f.secret) out.secret = f.secret;
    if (f.sessionToken) out.sessionToken = f.sessionToken;
  }
  return out;
}

export const isLive = (f: Finding): boolean => f.kind === "live-candidate" || f.kind === "temporary";
