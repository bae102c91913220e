import type { AwsError } from "./errors.js";

export const NS = {
  iam: "https://iam.amazonaws.com/doc/2010-05-08/",
  sts: "https://sts.amazonaws.com/doc/2011-06-15/",
} as const;

/** A value rendered into awsQuery XML: objects become elements in key order, arrays `<member>` lists. */
export type XmlValue = string | number | boolean | Date | undefined | XmlValue[] | { [key: string]: XmlValue };

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** IAM/STS timestamps: ISO 8601 in UTC, e.g. 2026-01-02T03:04:05Z. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function renderValue(v: XmlValue): string {
  if (v === undefined) return "";
  if (v instanceof Date) return isoSeconds(v);
  if (Array.isArray(v)) return v.map((m) => `<member>${renderValue(m)}</member>`).join("");
  if (typeof v === "object") return renderFields(v);
  return escapeXml(String(v));
}

export function renderFields(obj: { [key: string]: XmlValue }): string {
  let out = "";
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    out += `<${k}>${renderValue(v)}</${k}>`;
  }
  return out;
}

/** `<ActionResponse xmlns=…><ActionResult>…</ActionResult><ResponseMetadata>…` as IAM/STS send it. */
export function queryResponse(ns: string, action: string, result: { [key: string]: XmlValue } | undefined, requestId: string): string {
  const res = result === undefined ? "" : `\n  <${action}Result>${renderFields(result)}</${action}Result>`;
  return (
    `<${action}Response xmlns="${ns}">${res}\n` +
    `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n` +
    `</${action}Response>\n`
  );
}

export function queryError(ns: string, err: AwsError, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${ns}">\n` +
    `  <Error>\n    <Type>${err.type}</Type>\n    <Code>${escapeXml(err.code)}</Code>\n` +
    `    <Message>${escapeXml(err.message)}</Message>\n  </Error>\n` +
    `  <RequestId>${requestId}</RequestId>\n` +
    `</ErrorResponse>\n`
  );
}
