import type { Reported, ReportOptions } from "./types.js";
import { publicView } from "./types.js";

export function formatJson(findings: Reported[], o: ReportOptions): string {
  return JSON.stringify({ findings: findings.map((f) => publicView(f, o)) }, null, 2) + "\n";
}
