import { randomUUID } from "node:crypto";
import type { ActionContext } from "./context.js";
import { AwsError } from "./errors.js";
import { secretSuffix } from "./keys.js";
import type { Account, Secret, SecretVersion } from "./state.js";

type Input = Record<string, unknown>;
type Output = Record<string, unknown>;
type Handler = (ctx: ActionContext, input: Input) => Output;

/** awsJson timestamps are epoch seconds. */
const epoch = (d: Date | undefined) => (d ? d.getTime() / 1000 : undefined);

const secretKey = (region: string, name: string) => `${region}/${name}`;

function str(input: Input, name: string, required = false): string | undefined {
  const v = input[name];
  if (v === undefined || v === null) {
    if (required) throw new AwsError("InvalidParameterException", `Invalid ${name}: must not be null.`);
    return undefined;
  }
  if (typeof v !== "string") throw new AwsError("SerializationException", `Start of structure or map found where not expected (${name}).`);
  return v;
}

function account(ctx: ActionContext): Account {
  return ctx.state.addAccount(ctx.principal.accountId);
}

/** Looks a secret up by name or ARN (full, or partial without the random suffix). */
export function findSecret(acct: Account, region: string | undefined, id: string): Secret | undefined {
  for (const s of acct.secrets.values()) {
    if (region && s.region !== region) continue;
    if (s.name === id || s.arn === id || s.arn.slice(0, -7) === id) return s;
  }
  return undefined;
}

function secretOf(ctx: ActionContext, input: Input): Secret {
  const id = str(input, "SecretId", true)!;
  const arnAccount = /^arn:aws:secretsmanager:[^:]+:(\d{12}):secret:/.exec(id)?.[1];
  if (arnAccount && arnAccount !== ctx.principal.accountId) {
    throw new AwsError(
      "AccessDeniedException",
      `User: ${ctx.principal.arn} is not authorized to perform: secretsmanager:${ctx.action} on resource: ${id} because no resource-based policy allows the secretsmanager:${ctx.action} action`,
    );
  }
  const s = findSecret(account(ctx), ctx.region, id);
  if (!s) {
    ctx.authorize(id);
    throw new AwsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
  }
  ctx.authorize(s.arn);
  return s;
}

function versionToken(input: Input): string {
  const t = str(input, "ClientRequestToken") ?? randomUUID();
  if (t.length < 32 || t.length > 64) {
    throw new AwsError("ValidationException", "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length greater than or equal to 32");
  }
  return t;
}

/** Adds a version carrying AWSCURRENT (plus any requested stages); the previous AWSCURRENT becomes AWSPREVIOUS. */
function addVersion(s: Secret, v: SecretVersion, now: Date): void {
  const versions = [...s.versions.values()];
  const prevCurrent = v.stages.includes("AWSCURRENT") ? versions.find((o) => o.stages.includes("AWSCURRENT")) : undefined;
  for (const o of versions) o.stages = o.stages.filter((x) => !v.stages.includes(x) && !(prevCurrent && x === "AWSPREVIOUS"));
  prevCurrent?.stages.push("AWSPREVIOUS");
  s.versions.set(v.versionId, v);
  // Versions left without a label are deprecated; AWS no longer lists them.
  for (const [id, o] of s.versions) if (o.stages.length === 0) s.versions.delete(id);
  s.lastChangedDate = now;
}

function newVersion(ctx: ActionContext, s: Secret, input: Input, stages: string[]): SecretVersion | undefined {
  const token = versionToken(input);
  const secretString = str(input, "SecretString");
  const secretBinary = str(input, "SecretBinary");
  const existing = s.versions.get(token);
  if (existing) {
    if (existing.secretString !== secretString || existing.secretBinary !== secretBinary) {
      throw new AwsError(
        "ResourceExistsException",
        "You can't modify an existing version, you can only create a new version.",
      );
    }
    return existing;
  }
  const v: SecretVersion = { versionId: token, secretString, secretBinary, createdDate: ctx.state.now(), stages };
  addVersion(s, v, ctx.state.now());
  return v;
}

export const secretsManagerActions: Record<string, Handler> = {
  CreateSecret(ctx, input) {
    const name = str(input, "Name", true)!;
    if (!/^[\w/+=.@-]{1,512}$/.test(name)) {
      throw new AwsError("ValidationException", `Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!`);
    }
    const acct = account(ctx);
    const arn = `arn:aws:secretsmanager:${ctx.region}:${acct.accountId}:secret:${name}-${secretSuffix()}`;
    ctx.authorize(arn);
    if (acct.secrets.has(secretKey(ctx.region, name))) {
      throw new AwsError("ResourceExistsException", `The operation failed because the secret ${name} already exists.`);
    }
    if (input.SecretString !== undefined && input.SecretBinary !== undefined) {
      throw new AwsError("InvalidParameterException", "You can't specify both a binary secret value and a string secret value in the same secret.");
    }
    const now = ctx.state.now();
    const s: Secret = {
      name,
      arn,
      region: ctx.region,
      description: str(input, "Description"),
      createdDate: now,
      lastChangedDate: now,
      versions: new Map(),
    };
    const hasValue = input.SecretString !== undefined || input.SecretBinary !== undefined;
    const v = hasValue ? newVersion(ctx, s, input, ["AWSCURRENT"]) : undefined;
    acct.secrets.set(secretKey(ctx.region, name), s);
    return { ARN: s.arn, Name: s.name, VersionId: v?.versionId };
  },

  PutSecretValue(ctx, input) {
    const s = secretOf(ctx, input);
    if (input.SecretString === undefined && input.SecretBinary === undefined) {
      throw new AwsError("InvalidRequestException", "You must provide either SecretString or SecretBinary.");
    }
    const stagesIn = input.VersionStages;
    const stages = Array.isArray(stagesIn) && stagesIn.length ? stagesIn.map(String) : ["AWSCURRENT"];
    const v = newVersion(ctx, s, input, stages)!;
    return { ARN: s.arn, Name: s.name, VersionId: v.versionId, VersionStages: [...v.stages] };
  },

  GetSecretValue(ctx, input) {
    const s = secretOf(ctx, input);
    const versionId = str(input, "VersionId");
    const stage = str(input, "VersionStage") ?? (versionId ? undefined : "AWSCURRENT");
    let v: SecretVersion | undefined;
    if (versionId) {
      v = s.versions.get(versionId);
      if (!v || (stage && !v.stages.includes(stage))) {
        throw new AwsError("ResourceNotFoundException", `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`);
      }
    } else {
      v = [...s.versions.values()].find((x) => x.stages.includes(stage!));
      if (!v) throw new AwsError("ResourceNotFoundException", `Secrets Manager can't find the specified secret value for staging label: ${stage}`);
    }
    s.lastAccessedDate = new Date(Math.floor(ctx.state.now().getTime() / 86_400_000) * 86_400_000);
    return {
      ARN: s.arn,
      Name: s.name,
      VersionId: v.versionId,
      SecretString: v.secretString,
      SecretBinary: v.secretBinary,
      VersionStages: [...v.stages],
      CreatedDate: epoch(v.createdDate),
    };
  },

  DescribeSecret(ctx, input) {
    const s = secretOf(ctx, input);
    return {
      ARN: s.arn,
      Name: s.name,
      Description: s.description,
      LastChangedDate: epoch(s.lastChangedDate),
      LastAccessedDate: epoch(s.lastAccessedDate),
      CreatedDate: epoch(s.createdDate),
      VersionIdsToStages: Object.fromEntries([...s.versions.values()].map((v) => [v.versionId, [...v.stages]])),
    };
  },
};
