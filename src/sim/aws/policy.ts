/**
 * Just enough of IAM policy evaluation for the simulator: principals are allowed everything in their
 * own account unless an identity policy explicitly denies the request. Supports Action/NotAction,
 * Resource/NotResource with wildcards, and the Condition operators keyfence and AWS quarantine use.
 */
import { QUARANTINE_POLICIES } from "./quarantine.js";

export interface RequestContext {
  action: string; // e.g. "iam:ListAccessKeys"
  resource: string; // ARN, or "*"
  keys: Record<string, string | undefined>; // condition keys, e.g. aws:TokenIssueTime
}

interface Statement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean | number>>;
}

const list = (v: string | string[] | undefined): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

function globToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, caseInsensitive ? "is" : "s");
}

const matchesAny = (patterns: string[], value: string, ci: boolean) => patterns.some((p) => globToRegExp(p, ci).test(value));

function parseDate(v: string): number {
  return /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v);
}

function conditionHolds(op: string, key: string, expected: string[], ctx: RequestContext): boolean {
  const ifExists = op.endsWith("IfExists");
  const base = ifExists ? op.slice(0, -"IfExists".length) : op;
  const actual = ctx.keys[key] ?? ctx.keys[Object.keys(ctx.keys).find((k) => k.toLowerCase() === key.toLowerCase()) ?? ""];
  if (base === "Null") return expected.some((e) => String(e) === "true") === (actual === undefined);
  if (actual === undefined) return ifExists;
  const any = (f: (e: string) => boolean) => expected.some(f);
  switch (base) {
    case "DateLessThan":
      return any((e) => parseDate(actual) < parseDate(e));
    case "DateLessThanEquals":
      return any((e) => parseDate(actual) <= parseDate(e));
    case "DateGreaterThan":
      return any((e) => parseDate(actual) > parseDate(e));
    case "DateGreaterThanEquals":
      return any((e) => parseDate(actual) >= parseDate(e));
    case "DateEquals":
      return any((e) => parseDate(actual) === parseDate(e));
    case "DateNotEquals":
      return !any((e) => parseDate(actual) === parseDate(e));
    case "StringEquals":
    case "ArnEquals":
      return any((e) => e === actual);
    case "StringNotEquals":
    case "ArnNotEquals":
      return !any((e) => e === actual);
    case "StringEqualsIgnoreCase":
      return any((e) => e.toLowerCase() === actual.toLowerCase());
    case "StringNotEqualsIgnoreCase":
      return !any((e) => e.toLowerCase() === actual.toLowerCase());
    case "StringLike":
    case "ArnLike":
      return any((e) => globToRegExp(e, false).test(actual));
    case "StringNotLike":
    case "ArnNotLike":
      return !any((e) => globToRegExp(e, false).test(actual));
    case "Bool":
      return any((e) => e.toLowerCase() === actual.toLowerCase());
    case "NumericLessThan":
      return any((e) => Number(actual) < Number(e));
    case "NumericGreaterThan":
      return any((e) => Number(actual) > Number(e));
    default:
      return false; // unknown operator: the statement does not apply
  }
}

function statementMatches(s: Statement, ctx: RequestContext): boolean {
  const actions = list(s.Action);
  const notActions = list(s.NotAction);
  if (actions && !matchesAny(actions, ctx.action, true)) return false;
  if (notActions && matchesAny(notActions, ctx.action, true)) return false;
  if (!actions && !notActions) return false;
  const resources = list(s.Resource);
  const notResources = list(s.NotResource);
  if (resources && !matchesAny(resources, ctx.resource, false)) return false;
  if (notResources && matchesAny(notResources, ctx.resource, false)) return false;
  for (const [op, block] of Object.entries(s.Condition ?? {})) {
    for (const [key, value] of Object.entries(block)) {
      const expected = (Array.isArray(value) ? value : [value]).map(String);
      if (!conditionHolds(op, key, expected, ctx)) return false;
    }
  }
  return true;
}

function statementsOf(doc: string): Statement[] {
  try {
    const p = JSON.parse(doc) as { Statement?: Statement | Statement[] };
    return Array.isArray(p.Statement) ? p.Statement : p.Statement ? [p.Statement] : [];
  } catch {
    return [];
  }
}

/** Whether any of the documents (inline JSON, or attached managed policy ARNs we know) explicitly denies. */
export function explicitlyDenied(inline: Iterable<string>, attachedArns: Iterable<string>, ctx: RequestContext): boolean {
  const docs = [...inline];
  for (const arn of attachedArns) {
    const d = QUARANTINE_POLICIES[arn];
    if (d) docs.push(JSON.stringify(d));
  }
  return docs.some((d) => statementsOf(d).some((s) => s.Effect === "Deny" && statementMatches(s, ctx)));
}

/** Validates a policy document as PutUserPolicy does (JSON with a Statement). */
export function policyDocumentError(doc: string): string | undefined {
  let p: unknown;
  try {
    p = JSON.parse(doc);
  } catch {
    return "Syntax errors in policy.";
  }
  if (!p || typeof p !== "object" || Array.isArray(p)) return "Syntax errors in policy.";
  const st = (p as { Statement?: unknown }).Statement;
  if (st === undefined) return "Syntax errors in policy.";
  const sts = Array.isArray(st) ? st : [st];
  for (const s of sts) {
    if (!s || typeof s !== "object") return "Syntax errors in policy.";
    const e = (s as Statement).Effect;
    if (e !== "Allow" && e !== "Deny") return "Syntax errors in policy.";
    if (!(s as Statement).Action && !(s as Statement).NotAction) return "Policy statement must contain actions.";
    if (!(s as Statement).Resource && !(s as Statement).NotResource) return "Policy statement must contain resources.";
  }
  return undefined;
}
