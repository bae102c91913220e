import type { ActionContext } from "./context.js";
import { AwsError, req } from "./errors.js";
import { decodeAccountFromKeyId } from "./keys.js";
import type { Session } from "./state.js";
import type { XmlValue } from "./xml.js";

type Params = Record<string, string>;
type Result = { [key: string]: XmlValue } | undefined;
type Handler = (ctx: ActionContext, p: Params) => Result;

function duration(p: Params, min: number, max: number, dflt: number): number {
  if (p.DurationSeconds === undefined) return dflt;
  const d = Number(p.DurationSeconds);
  if (!Number.isInteger(d) || d < min) {
    throw new AwsError(
      "ValidationError",
      `1 validation error detected: Value '${p.DurationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to ${min}`,
    );
  }
  if (d > max) {
    throw new AwsError(
      "ValidationError",
      `1 validation error detected: Value '${p.DurationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
    );
  }
  return d;
}

/** STS actions a GetSessionToken session may call (it cannot call IAM at all, see auth). */
const SESSION_ALLOWED = new Set(["AssumeRole", "GetCallerIdentity"]);

function credentials(s: Session): { [key: string]: XmlValue } {
  return {
    AccessKeyId: s.accessKeyId,
    SecretAccessKey: s.secretAccessKey,
    SessionToken: s.sessionToken,
    Expiration: s.expiration,
  };
}

export function stsSessionRestriction(ctx: ActionContext): void {
  const p = ctx.principal;
  if (ctx.action === "GetSessionToken" && p.kind !== "user") {
    throw new AwsError("AccessDenied", "Cannot call GetSessionToken with session credentials");
  }
  if (p.kind === "user-session" && !SESSION_ALLOWED.has(ctx.action)) {
    throw new AwsError("AccessDenied", `Cannot call ${ctx.action} with session credentials`);
  }
}

export const stsActions: Record<string, Handler> = {
  GetCallerIdentity(ctx) {
    // Needs no permission, and an explicit deny cannot block it (AWS documents this).
    const p = ctx.principal;
    return { UserId: p.kind === "role-session" ? `${p.userId}:${p.sessionName}` : p.userId, Account: p.accountId, Arn: p.arn };
  },

  GetAccessKeyInfo(ctx, p) {
    const id = req(p, "AccessKeyId");
    if (id.length < 16 || id.length > 128 || !/^\w+$/.test(id)) {
      throw new AwsError(
        "ValidationError",
        `1 validation error detected: Value '${id}' at 'accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]*`,
      );
    }
    ctx.authorize("*");
    const s = ctx.state;
    const account = s.keys.get(id)?.accountId ?? s.deletedKeys.get(id) ?? s.sessions.get(id)?.principal.accountId ?? decodeAccountFromKeyId(id);
    if (!account) throw new AwsError("InvalidParameterValue", `The access key ID ${id} is not valid.`);
    return { Account: account };
  },

  GetSessionToken(ctx, p) {
    const d = duration(p, 900, 129600, 43200);
    const pr = ctx.principal;
    if (pr.kind !== "user") throw new AwsError("AccessDenied", "Cannot call GetSessionToken with session credentials");
    const s = ctx.state.createSession(
      { kind: "user-session", accountId: pr.accountId, userName: pr.userName, arn: pr.arn, userId: pr.userId },
      d,
    );
    return { Credentials: credentials(s) };
  },

  AssumeRole(ctx, p) {
    const arn = req(p, "RoleArn");
    const sessionName = req(p, "RoleSessionName");
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
      throw new AwsError(
        "ValidationError",
        `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
      );
    }
    if (arn.length < 20) {
      throw new AwsError(
        "ValidationError",
        `1 validation error detected: Value '${arn}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20`,
      );
    }
    const chained = ctx.principal.kind === "role-session";
    const d = duration(p, 900, 43200, 3600);
    ctx.authorize(arn);
    const m = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]+)$/.exec(arn);
    const role = m ? ctx.state.accounts.get(m[1])?.roles.get(m[2]) : undefined;
    if (!m || !role || !role.trustedAccountIds.includes(ctx.principal.accountId)) {
      throw new AwsError("AccessDenied", `User: ${ctx.principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${arn}`);
    }
    if (d > role.maxSessionDuration) {
      throw new AwsError("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
    }
    if (chained && d > 3600) {
      throw new AwsError(
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
      );
    }
    const accountId = m[1];
    const assumedArn = `arn:aws:sts::${accountId}:assumed-role/${role.roleName}/${sessionName}`;
    const s = ctx.state.createSession(
      {
        kind: "role-session",
        accountId,
        roleName: role.roleName,
        sessionName,
        arn: assumedArn,
        userId: role.roleId,
      },
      d,
    );
    return {
      Credentials: credentials(s),
      AssumedRoleUser: { AssumedRoleId: `${role.roleId}:${sessionName}`, Arn: assumedArn },
      SourceIdentity: p.SourceIdentity,
    };
  },
};
