// SARIF 2.1.0 as GitHub code scanning accepts it.
import { createHash } from "node:crypto";
import { isAbsolute, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Reported, ReportOptions } from "./types.js";

const RULES = [
  {
    id: "aws-access-key",
    name: "AwsAccessKey",
    shortDescription: { text: "AWS access key ID (long-term)" },
    fullDescription: { text: "An AWS access key ID, possibly with its secret access key, is committed to the repository." },
    help: { text: "Deactivate and rotate the key in IAM, then remove it from the repository history." },
    defaultConfiguration: { level: "error" },
    properties: { tags: ["security", "secret"], "security-severity": "9.0", precision: "high" },
  },
  {
    id: "aws-temporary-key",
    name: "AwsTemporaryKey",
    shortDescription: { text: "AWS temporary (STS) access key ID" },
    fullDescription: { text: "An AWS STS temporary access key ID (ASIA…) is committed to the repository." },
    help: { text: "Revoke the role's active sessions and remove the credentials from the repository." },
    defaultConfiguration: { level: "error" },
    properties: { tags: ["security", "secret"], "security-severity": "7.0", precision: "high" },
  },
  {
    id: "aws-example-key",
    name: "AwsExampleKey",
    shortDescription: { text: "AWS documentation example or placeholder key" },
    fullDescription: { text: "An example or placeholder AWS access key ID; not a live credential." },
    help: { text: "No action needed unless the value is a real key." },
    defaultConfiguration: { level: "note" },
    properties: { tags: ["security", "secret"], "security-severity": "0.0", precision: "medium" },
  },
];

const ruleOf = (f: Reported) =>
  f.kind === "temporary" ? "aws-temporary-key" : f.kind === "example" ? "aws-example-key" : "aws-access-key";

export function toSarif(findings: Reported[], o: ReportOptions, base = process.cwd(), version = "0.1.0"): object {
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "keyfence",
            version,
            informationUri: "https://github.com/keyfence/keyfence",
            rules: RULES,
          },
        },
        results: findings.map((f) => {
          const ruleId = ruleOf(f);
          const id = o.showSecrets ? f.keyId : f.redacted;
          return {
            ruleId,
            ruleIndex: RULES.findIndex((r) => r.id === ruleId),
            level: f.kind === "example" ? "note" : "error",
            message: {
              text: `${f.kind === "example" ? "Example" : "AWS"} access key ${id}${f.secret ? " with its secret access key" : ""}${f.commit ? ` in commit ${f.commit}` : ""}`,
            },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: toUri(f.path ?? "stdin", base) },
                  region: { startLine: f.line, startColumn: f.column, endColumn: f.column + f.keyId.length },
                },
              },
            ],
            partialFingerprints: {
              // Stable across moves of the line, without revealing the key.
              "keyfence/v1": createHash("sha256").update(f.keyId).digest("hex").slice(0, 32),
            },
            properties: { kind: f.kind, ...(f.commit ? { commit: f.commit } : {}), ...(f.accountHint ? { accountHint: f.accountHint } : {}) },
          };
        }),
      },
    ],
  };
}

/** Repository-relative URI when the file is under `base` (what code scanning expects), else a file:// URI. */
function toUri(p: string, base: string): string {
  const abs = resolve(base, p);
  const rel = relative(base, abs);
  const enc = (x: string) => x.split(/[\\/]/).map(encodeURIComponent).join("/");
  if (p === "-" || p === "stdin") return "stdin";
  if (rel && !rel.startsWith("..") && !isAbsolute(rel)) return enc(rel);
  return pathToFileURL(abs).href;
}

export function formatSarif(findings: Reported[], o: ReportOptions, base = process.cwd()): string {
  return JSON.stringify(toSarif(findings, o, base), null, 2) + "\n";
}
