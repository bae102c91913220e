export type FindingKind = "live-candidate" | "temporary" | "example";

export interface Finding {
  keyId: string;
  secret?: string;
  sessionToken?: string;
  path?: string;
  line: number;
  column: number;
  kind: FindingKind;
  accountHint?: string;
  redacted: string;
  encoding?: string;
}

export interface ScanOptions {
  path?: string;
}

/** A finding before positions are resolved: offset is in the text being scanned. */
export interface RawFinding {
  keyId: string;
  offset: number;
  secret?: string;
  secretCost?: number;
  sessionToken?: string;
  encoding?: string;
}
