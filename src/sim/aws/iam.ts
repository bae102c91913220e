import type { ActionContext } from "./context.js";
import { AwsError, req } from "./errors.js";
import { policyDocumentError } from "./policy.js";
import { managedPolicyName } from "./quarantine.js";
import type { KeyRecord, User } from "./state.js";
import { userArn } from "./state.js";
import type { XmlValue } from "./xml.js";

type Params = Record<string, string>;
type Result = { [key: string]: XmlValue } | undefined;
type Handler = (ctx: ActionContext, p: Params) => Result;

const NAME_RE = /^[\w+=,.@-]{1,128}$/;

/** The user an action targets: `UserName`, or the calling user when omitted (as IAM does). */
function targetUser(ctx: ActionContext, p: Params): User {
  const name = p.UserName;
  if (name === undefined || name === "") {
    if (ctx.principal.kind === "role-session") {
      throw new AwsError("ValidationError", "Must specify userName when calling with non-User credentials");
    }
    return ctx.state.user(ctx.principal.accountId, ctx.principal.userName);
  }
  if (!NAME_RE.test(name)) {
    throw new AwsError(
      "ValidationError",
      `1 validation error detected: Value '${name}' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
    );
  }
  return ctx.state.user(ctx.principal.accountId, name);
}

function keyOf(ctx: ActionContext, user: User, keyId: string): KeyRecord {
  const k = ctx.state.keys.get(keyId);
  if (!k || k.accountId !== ctx.principal.accountId || k.userName !== user.userName) {
    throw new AwsError("NoSuchEntity", `The Access Key with id ${keyId} cannot be found.`);
  }
  return k;
}

const arnOf = (ctx: ActionContext, u: User) => userArn(ctx.principal.accountId, u.userName, u.path);

function policyName(p: Params): string {
  const n = req(p, "PolicyName");
  if (!NAME_RE.test(n)) {
    throw new AwsError(
      "ValidationError",
      `1 validation error detected: Value '${n}' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
    );
  }
  return n;
}

/** IAM list pagination: MaxItems (1-1000, default 100) and an opaque Marker. */
function page<T>(items: T[], p: Params): { items: T[]; IsTruncated: boolean; Marker?: string } {
  const max = p.MaxItems === undefined ? 100 : Number(p.MaxItems);
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    throw new AwsError(
      "ValidationError",
      `1 validation error detected: Value '${p.MaxItems}' at 'maxItems' failed to satisfy constraint: Member must have value ${max < 1 ? "greater than or equal to 1" : "less than or equal to 1000"}`,
    );
  }
  let start = 0;
  if (p.Marker !== undefined) {
    start = Number(Buffer.from(p.Marker, "base64url").toString("utf8").replace(/^m:/, ""));
    if (!Number.isInteger(start) || start < 0) throw new AwsError("InvalidInput", "Invalid Marker.");
  }
  const slice = items.slice(start, start + max);
  const truncated = start + max < items.length;
  return { items: slice, IsTruncated: truncated, Marker: truncated ? Buffer.from(`m:${start + max}`).toString("base64url") : undefined };
}

/** IAM returns LastUsedDate at minute granularity. */
const toMinute = (d: Date) => new Date(Math.floor(d.getTime() / 60_000) * 60_000);

export const iamActions: Record<string, Handler> = {
  CreateAccessKey(ctx, p) {
    const u = targetUser(ctx, p);
    ctx.authorize(arnOf(ctx, u));
    const k = ctx.state.createAccessKey(ctx.principal.accountId, u.userName);
    return {
      AccessKey: {
        UserName: k.userName,
        AccessKeyId: k.accessKeyId,
        Status: k.status,
        SecretAccessKey: k.secretAccessKey,
        CreateDate: k.createDate,
      },
    };
  },

  UpdateAccessKey(ctx, p) {
    const keyId = req(p, "AccessKeyId");
    const status = req(p, "Status");
    if (status !== "Active" && status !== "Inactive" && status !== "Expired") {
      throw new AwsError(
        "ValidationError",
        `1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]`,
      );
    }
    const u = targetUser(ctx, p);
    ctx.authorize(arnOf(ctx, u));
    const k = keyOf(ctx, u, keyId);
    if (status === "Expired") throw new AwsError("InvalidInput", "Invalid status Expired for access key.");
    k.status = status;
    return undefined;
  },

  DeleteAccessKey(ctx, p) {
    const keyId = req(p, "AccessKeyId");
    const u = targetUser(ctx, p);
    ctx.authorize(arnOf(ctx, u));
    keyOf(ctx, u, keyId);
    ctx.state.deleteAccessKey(keyId);
    return undefined;
  },

  ListAccessKeys(ctx, p) {
    const u = targetUser(ctx, p);
    ctx.authorize(arnOf(ctx, u));
    const pg = page(ctx.state.keysOf(ctx.principal.accountId, u.userName), p);
    return {
      AccessKeyMetadata: pg.items.map((k) => ({
        UserName: k.userName,
        AccessKeyId: k.accessKeyId,
        Status: k.status,
        CreateDate: k.createDate,
      })),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    };
  },

  GetAccessKeyLastUsed(ctx, p) {
    const keyId = req(p, "AccessKeyId");
    const k = ctx.state.keys.get(keyId);
    const resource = `access key ${keyId}`;
    if (!k || k.accountId !== ctx.principal.accountId) {
      // IAM does not reveal keys of other accounts (nor deleted ones): the caller is simply not authorized.
      throw new AwsError("AccessDenied", `User: ${ctx.principal.arn} is not authorized to perform: iam:GetAccessKeyLastUsed on resource: ${resource}`);
    }
    ctx.authorize(userArn(k.accountId, k.userName));
    const lu = k.lastUsed;
    return {
      UserName: k.userName,
      AccessKeyLastUsed: lu
        ? { LastUsedDate: toMinute(lu.date), ServiceName: lu.serviceName, Region: lu.region }
        : { ServiceName: "N/A", Region: "N/A" },
    };
  },

  GetUser(ctx, p) {
    const u = targetUser(ctx, p);
    ctx.authorize(arnOf(ctx, u));
    return {
      User: { Path: u.path, UserName: u.userName, UserId: u.userId, Arn: arnOf(ctx, u), CreateDate: u.createDate },
    };
  },

  PutUserPolicy(ctx, p) {
    const u = targetUser(ctx, { UserName: req(p, "UserName") });
    const name = policyName(p);
    const doc = req(p, "PolicyDocument");
    ctx.authorize(arnOf(ctx, u));
    const err = policyDocumentError(doc);
    if (err) throw new AwsError("MalformedPolicyDocument", err);
    // Inline user policies share a 2,048-character quota (whitespace not counted).
    const size = (d: string) => d.replace(/\s/g, "").length;
    const total = size(doc) + [...u.policies].filter(([n]) => n !== name).reduce((t, [, d]) => t + size(d), 0);
    if (total > 2048) throw new AwsError("LimitExceeded", `Maximum policy size of 2048 bytes exceeded for user ${u.userName}`);
    u.policies.set(name, doc);
    return undefined;
  },

  GetUserPolicy(ctx, p) {
    const u = targetUser(ctx, { UserName: req(p, "UserName") });
    const name = policyName(p);
    ctx.authorize(arnOf(ctx, u));
    const doc = u.policies.get(name);
    if (doc === undefined) throw new AwsError("NoSuchEntity", `The user policy with name ${name} cannot be found.`);
    // IAM returns policy documents URL-encoded (RFC 3986).
    return { UserName: u.userName, PolicyName: name, PolicyDocument: encodeURIComponent(doc) };
  },

  ListUserPolicies(ctx, p) {
    const u = targetUser(ctx, { UserName: req(p, "UserName") });
    ctx.authorize(arnOf(ctx, u));
    const pg = page([...u.policies.keys()].sort(), p);
    return { PolicyNames: pg.items, IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },

  DeleteUserPolicy(ctx, p) {
    const u = targetUser(ctx, { UserName: req(p, "UserName") });
    const name = policyName(p);
    ctx.authorize(arnOf(ctx, u));
    if (!u.policies.delete(name)) throw new AwsError("NoSuchEntity", `The user policy with name ${name} cannot be found.`);
    return undefined;
  },

  ListAttachedUserPolicies(ctx, p) {
    const u = targetUser(ctx, { UserName: req(p, "UserName") });
    ctx.authorize(arnOf(ctx, u));
    const pg = page(u.attached, p);
    return {
      AttachedPolicies: pg.items.map((arn) => ({ PolicyName: managedPolicyName(arn), PolicyArn: arn })),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    };
  },

  AttachUserPolicy(ctx, p) {
    const u = targetUser(ctx, { UserName: req(p, "UserName") });
    const arn = req(p, "PolicyArn");
    ctx.authorize(arnOf(ctx, u));
    if (!/^arn:aws:iam::(aws|\d{12}):policy\/.+/.test(arn)) throw new AwsError("InvalidInput", `ARN ${arn} is not valid.`);
    if (!u.attached.includes(arn)) u.attached.push(arn);
    return undefined;
  },

  DetachUserPolicy(ctx, p) {
    const u = targetUser(ctx, { UserName: req(p, "UserName") });
    const arn = req(p, "PolicyArn");
    ctx.authorize(arnOf(ctx, u));
    const i = u.attached.indexOf(arn);
    if (i < 0) throw new AwsError("NoSuchEntity", `Policy ${arn} was not found.`);
    u.attached.splice(i, 1);
    return undefined;
  },

  CreateUser(ctx, p) {
    const name = req(p, "UserName");
    if (!NAME_RE.test(name) || name.length > 64) {
      throw new AwsError(
        "ValidationError",
        `1 validation error detected: Value '${name}' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
      );
    }
    ctx.authorize(userArn(ctx.principal.accountId, name));
    const acct = ctx.state.addAccount(ctx.principal.accountId);
    if ([...acct.users.keys()].some((n) => n.toLowerCase() === name.toLowerCase())) {
      throw new AwsError("EntityAlreadyExists", `User with name ${name} already exists.`);
    }
    const u = ctx.state.addUser(ctx.principal.accountId, name);
    return { User: { Path: u.path, UserName: u.userName, UserId: u.userId, Arn: arnOf(ctx, u), CreateDate: u.createDate } };
  },

  DeleteUser(ctx, p) {
    const u = targetUser(ctx, { UserName: req(p, "UserName") });
    ctx.authorize(arnOf(ctx, u));
    ctx.state.deleteUser(ctx.principal.accountId, u.userName);
    return undefined;
  },

  ListUsers(ctx, p) {
    ctx.authorize(`arn:aws:iam::${ctx.principal.accountId}:user/`);
    const users = [...(ctx.state.accounts.get(ctx.principal.accountId)?.users.values() ?? [])].sort((a, b) =>
      a.userName.localeCompare(b.userName),
    );
    const pg = page(users, p);
    return {
      Users: pg.items.map((u) => ({ Path: u.path, UserName: u.userName, UserId: u.userId, Arn: arnOf(ctx, u), CreateDate: u.createDate })),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    };
  },
};
