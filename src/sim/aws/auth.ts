import { AwsError, MSG } from "./errors.js";
import { explicitlyDenied } from "./policy.js";
import type { ParsedAuth, RawRequest } from "./sigv4.js";
import { verifySignature } from "./sigv4.js";
import type { Principal, SimState } from "./state.js";
import { userArn } from "./state.js";

/**
 * Authenticates a request as AWS does: the key must exist and be Active (or be a live session whose
 * token is presented), then the SigV4 signature must verify with its secret.
 */
export async function authenticate(state: SimState, r: RawRequest, auth: ParsedAuth | undefined): Promise<Principal> {
  if (!auth) throw new AwsError("MissingAuthenticationToken", MSG.missingAuth);
  const id = auth.accessKeyId;
  const key = state.keys.get(id);
  if (key) {
    if (key.status !== "Active" || auth.securityToken !== undefined) throw new AwsError("InvalidClientTokenId", MSG.invalidToken);
    const user = state.accounts.get(key.accountId)?.users.get(key.userName);
    if (!user) throw new AwsError("InvalidClientTokenId", MSG.invalidToken);
    if (state.now().getTime() - key.createdAt.getTime() < state.keyPropagationMs) {
      throw new AwsError("InvalidClientTokenId", MSG.invalidToken);
    }
    await verifySignature(r, auth, key.secretAccessKey);
    return {
      kind: "user",
      accountId: key.accountId,
      userName: key.userName,
      arn: userArn(key.accountId, key.userName, user.path),
      userId: user.userId,
      accessKeyId: id,
    };
  }
  const session = state.sessions.get(id);
  if (!session) throw new AwsError("InvalidClientTokenId", MSG.invalidToken);
  if (auth.securityToken !== session.sessionToken) throw new AwsError("InvalidClientTokenId", MSG.invalidToken);
  const p = session.principal;
  const account = state.accounts.get(p.accountId);
  const stillThere = p.kind === "role-session" ? account?.roles.has(p.roleName) : account?.users.has(p.userName);
  if (!stillThere) throw new AwsError("InvalidClientTokenId", MSG.invalidToken);
  if (state.now() >= session.expiration) throw new AwsError("ExpiredToken", MSG.expired);
  await verifySignature(r, auth, session.secretAccessKey);
  return { ...p, accessKeyId: id, tokenIssueTime: session.issuedAt };
}

/** Condition keys of the request, as IAM exposes them to policies. */
function conditionKeys(state: SimState, p: Principal, r: RawRequest): Record<string, string | undefined> {
  const temporary = p.kind !== "user";
  return {
    "aws:CurrentTime": state.now().toISOString(),
    "aws:EpochTime": String(Math.floor(state.now().getTime() / 1000)),
    "aws:TokenIssueTime": temporary ? p.tokenIssueTime.toISOString() : undefined,
    "aws:MultiFactorAuthPresent": temporary ? "false" : undefined,
    "aws:SecureTransport": "false",
    "aws:PrincipalAccount": p.accountId,
    "aws:PrincipalArn": p.kind === "role-session" ? `arn:aws:iam::${p.accountId}:role/${p.roleName}` : p.arn,
    "aws:PrincipalType": p.kind === "role-session" ? "AssumedRole" : "User",
    "aws:username": p.kind === "role-session" ? undefined : p.userName,
    "aws:userid": p.userId,
    "aws:SourceIp": r.headers["x-forwarded-for"]?.split(",")[0].trim() ?? "127.0.0.1",
    "aws:UserAgent": r.headers["user-agent"],
  };
}

/** AccessDenied when an identity policy of the principal explicitly denies the action on the resource. */
export function authorize(state: SimState, p: Principal, r: RawRequest, action: string, resource: string): void {
  if (p.kind === "role-session") return; // roles carry no policies in the simulator
  const user = state.accounts.get(p.accountId)?.users.get(p.userName);
  if (!user) return;
  const denied = explicitlyDenied(user.policies.values(), user.attached, { action, resource, keys: conditionKeys(state, p, r) });
  if (denied) {
    throw new AwsError(
      "AccessDenied",
      `User: ${p.arn} is not authorized to perform: ${action} on resource: ${resource} with an explicit deny in an identity-based policy`,
    );
  }
}
