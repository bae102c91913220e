import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { DescribeSecretCommand, PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { AssumeRoleCommand, GetAccessKeyInfoCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity } from "@smithy/types";
import { revokeOlderSessionsPolicy, REVOKE_POLICY_NAME } from "./policies.js";

export interface LastUse {
  userName: string;
  date?: Date;
  serviceName?: string;
  region?: string;
}

export interface Owner {
  accountId: string;
  /** The IAM user and the key's last use; absent for temporary keys and accounts keyfence may not act in. */
  use?: LastUse;
}

/** keyfence may not act in this account: not configured, or its role cannot be assumed there. */
export class NotPermittedError extends Error {
  constructor(
    readonly accountId: string,
    reason: string,
  ) {
    super(reason);
  }
}

interface CachedRole {
  creds: AwsCredentialIdentity & { expiration: Date };
  iam: IAMClient;
  /**
   * For iam:CreateAccessKey, which must not be retried by the SDK: it counts IAM's LimitExceeded as
   * throttling and would retry it, and a retried create after a lost answer can make a second key.
   * The rotation retries from its persisted state instead, deleting any key it did not record.
   */
  iamOnce: IAMClient;
}

/**
 * Every AWS call keyfence makes goes through here. Its own identity comes from the SDK's default
 * credential chain; in each account it acts through the configured role, assumed on demand and
 * cached until close to expiry. Endpoints come from the SDK's own configuration
 * (AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS, …).
 */
export class AwsGateway {
  private readonly sts: STSClient;
  private readonly roles = new Map<string, Promise<CachedRole>>();
  private readonly owners = new Map<string, { at: number; owner: Promise<Owner> }>();
  readonly calls = { count: 0, errors: 0 };

  constructor(
    private readonly cfg: { roleName: string; accounts: "*" | string[]; region: string },
  ) {
    this.sts = new STSClient({ region: cfg.region });
  }

  mayActIn(accountId: string): boolean {
    return this.cfg.accounts === "*" || this.cfg.accounts.includes(accountId);
  }

  /** The account that owns a key ID (sts:GetAccessKeyInfo; works for keys of any account). */
  async accountOf(keyId: string): Promise<string> {
    const r = await this.call(() => this.sts.send(new GetAccessKeyInfoCommand({ AccessKeyId: keyId })));
    if (!r.Account) throw new Error("sts:GetAccessKeyInfo returned no account");
    return r.Account;
  }

  /**
   * The key's account (sts:GetAccessKeyInfo) and, where keyfence may act, its user and last use.
   * The account decoded offline from the key ID (`hint`) lets the user lookup run alongside the
   * account lookup; the answer counts only once STS has confirmed the account. Remembered for a
   * minute, so a lookup started early (while a push's settings are still being read) is not repeated.
   */
  lookupOwner(keyId: string, opts: { hint?: string; temporary?: boolean } = {}): Promise<Owner> {
    const cached = this.owners.get(keyId);
    if (cached && Date.now() - cached.at < 60_000) return cached.owner;
    const owner = (async (): Promise<Owner> => {
      const { hint, temporary } = opts;
      const early = !temporary && hint && this.mayActIn(hint) ? this.lastUsed(hint, keyId).catch(() => undefined) : undefined;
      const accountId = await this.accountOf(keyId);
      if (temporary || !this.mayActIn(accountId)) return { accountId };
      const use = (accountId === hint ? await early : undefined) ?? (await this.lastUsed(accountId, keyId));
      return { accountId, use };
    })();
    this.owners.set(keyId, { at: Date.now(), owner });
    owner.catch(() => this.owners.delete(keyId));
    return owner;
  }

  async lastUsed(accountId: string, keyId: string): Promise<LastUse> {
    const iam = await this.iam(accountId);
    const r = await this.call(() => iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: keyId })));
    const u = r.AccessKeyLastUsed;
    return {
      userName: r.UserName ?? "",
      date: u?.LastUsedDate,
      serviceName: u?.ServiceName && u.ServiceName !== "N/A" ? u.ServiceName : undefined,
      region: u?.Region && u.Region !== "N/A" ? u.Region : undefined,
    };
  }

  async deactivate(accountId: string, userName: string, keyId: string): Promise<void> {
    const iam = await this.iam(accountId);
    await this.call(() =>
      iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: keyId, Status: "Inactive" })),
    );
  }

  async reactivate(accountId: string, userName: string, keyId: string): Promise<void> {
    const iam = await this.iam(accountId);
    await this.call(() =>
      iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: keyId, Status: "Active" })),
    );
  }

  /** Denies every request made with temporary credentials the user obtained before `before`. */
  async revokeSessions(accountId: string, userName: string, before: Date): Promise<void> {
    const iam = await this.iam(accountId);
    await this.call(() =>
      iam.send(
        new PutUserPolicyCommand({
          UserName: userName,
          PolicyName: REVOKE_POLICY_NAME,
          PolicyDocument: JSON.stringify(revokeOlderSessionsPolicy(before)),
        }),
      ),
    );
  }

  async listKeys(accountId: string, userName: string): Promise<Array<{ keyId: string; status: string }>> {
    const iam = await this.iam(accountId);
    const r = await this.call(() => iam.send(new ListAccessKeysCommand({ UserName: userName })));
    return (r.AccessKeyMetadata ?? []).map((k) => ({ keyId: k.AccessKeyId!, status: k.Status ?? "" }));
  }

  /** Whether AWS has attached its own compromised-key quarantine policy to the user. */
  async isQuarantined(accountId: string, userName: string): Promise<boolean> {
    return (await this.attachedPolicies(accountId, userName)).some((arn) => /:policy\/AWSCompromisedKeyQuarantine/.test(arn));
  }

  /** Writes a new value of a Secrets Manager secret in the account, through keyfence's role there. */
  async putSecretValue(accountId: string, secretId: string, value: string, region?: string): Promise<void> {
    await this.secrets(accountId, region, (sm) => sm.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value })));
  }

  /** Fails if the secret does not exist or cannot be reached. */
  async describeSecret(accountId: string, secretId: string, region?: string): Promise<void> {
    await this.secrets(accountId, region, (sm) => sm.send(new DescribeSecretCommand({ SecretId: secretId })));
  }

  private async secrets<T>(accountId: string, region: string | undefined, fn: (sm: SecretsManagerClient) => Promise<T>): Promise<T> {
    const role = await this.role(accountId);
    const sm = new SecretsManagerClient({ region: region ?? this.cfg.region, credentials: role.creds });
    try {
      return await this.call(() => fn(sm));
    } finally {
      sm.destroy();
    }
  }

  async attachedPolicies(accountId: string, userName: string): Promise<string[]> {
    const iam = await this.iam(accountId);
    const r = await this.call(() => iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName })));
    return (r.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? "");
  }

  /** Creates a key. The secret is returned to the caller only, to be written to its destination. */
  async createKey(accountId: string, userName: string): Promise<{ keyId: string; secret: string }> {
    const iam = (await this.role(accountId)).iamOnce;
    const r = await this.call(() => iam.send(new CreateAccessKeyCommand({ UserName: userName })));
    const k = r.AccessKey;
    if (!k?.AccessKeyId || !k.SecretAccessKey) throw new Error("iam:CreateAccessKey returned no key");
    return { keyId: k.AccessKeyId, secret: k.SecretAccessKey };
  }

  async deleteKey(accountId: string, userName: string, keyId: string): Promise<void> {
    const iam = await this.iam(accountId);
    await this.call(() => iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: keyId })));
  }

  /**
   * Whether a key authenticates (sts:GetCallerIdentity signed with it). A new key can take a few
   * seconds to be accepted everywhere, so this retries within a bound.
   */
  async keyWorks(keyId: string, secret: string, opts = { attempts: 8, delayMs: 500 }): Promise<boolean> {
    const sts = new STSClient({ region: this.cfg.region, credentials: { accessKeyId: keyId, secretAccessKey: secret } });
    try {
      for (let i = 0; i < opts.attempts; i++) {
        try {
          await this.call(() => sts.send(new GetCallerIdentityCommand({})));
          return true;
        } catch (err) {
          if (!isAuthFailure(err)) throw err;
          await new Promise((r) => setTimeout(r, opts.delayMs));
        }
      }
      return false;
    } finally {
      sts.destroy();
    }
  }

  private async iam(accountId: string): Promise<IAMClient> {
    return (await this.role(accountId)).iam;
  }

  private async role(accountId: string): Promise<CachedRole> {
    if (!this.mayActIn(accountId)) {
      throw new NotPermittedError(accountId, "the account is not in keyfence's configured accounts");
    }
    const cached = this.roles.get(accountId);
    if (cached) {
      const role = await cached.catch(() => undefined);
      if (role && role.creds.expiration.getTime() - Date.now() > 5 * 60_000) return role;
      this.roles.delete(accountId);
    }
    const pending = this.assume(accountId);
    this.roles.set(accountId, pending);
    pending.catch(() => this.roles.delete(accountId));
    return pending;
  }

  private async assume(accountId: string): Promise<CachedRole> {
    const roleArn = `arn:aws:iam::${accountId}:role/${this.cfg.roleName}`;
    let r;
    try {
      r = await this.call(() =>
        this.sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "keyfence", DurationSeconds: 3600 })),
      );
    } catch (err) {
      if (errorName(err) === "AccessDenied" || errorName(err) === "AccessDeniedException") {
        throw new NotPermittedError(accountId, `keyfence cannot assume ${roleArn} (AccessDenied)`);
      }
      throw err;
    }
    const c = r.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error("sts:AssumeRole returned no credentials");
    const creds = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration ?? new Date(Date.now() + 3600_000),
    };
    return {
      creds,
      iam: new IAMClient({ region: this.cfg.region, credentials: creds }),
      iamOnce: new IAMClient({ region: this.cfg.region, credentials: creds, maxAttempts: 1 }),
    };
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    this.calls.count++;
    try {
      return await fn();
    } catch (err) {
      this.calls.errors++;
      throw err;
    }
  }
}

export function errorName(err: unknown): string {
  return (err as { name?: string; Code?: string })?.Code ?? (err as { name?: string })?.name ?? "";
}

function isAuthFailure(err: unknown): boolean {
  return ["InvalidClientTokenId", "SignatureDoesNotMatch", "AccessDenied"].includes(errorName(err));
}
