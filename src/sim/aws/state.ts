import { AwsError } from "./errors.js";
import { encodeKeyId, principalId, randomSecret, randomSessionToken } from "./keys.js";

export interface KeyRecord {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  userName: string;
  status: "Active" | "Inactive";
  createDate: Date;
  /** exact creation time (createDate is whole seconds, as IAM reports it) */
  createdAt: Date;
  lastUsed?: { date: Date; serviceName: string; region: string };
}

export interface User {
  userName: string;
  userId: string;
  path: string;
  createDate: Date;
  policies: Map<string, string>;
  attached: string[];
}

export interface Role {
  roleName: string;
  roleId: string;
  createDate: Date;
  trustedAccountIds: string[];
  maxSessionDuration: number;
}

export interface SecretVersion {
  versionId: string;
  secretString?: string;
  secretBinary?: string;
  createdDate: Date;
  stages: string[];
}

export interface Secret {
  name: string;
  arn: string;
  region: string;
  description?: string;
  createdDate: Date;
  lastChangedDate: Date;
  lastAccessedDate?: Date;
  versions: Map<string, SecretVersion>;
}

export interface Account {
  accountId: string;
  users: Map<string, User>;
  roles: Map<string, Role>;
  secrets: Map<string, Secret>;
}

/** Who signed a request, once authenticated. */
export type Principal =
  | { kind: "user"; accountId: string; userName: string; arn: string; userId: string; accessKeyId: string }
  | {
      kind: "user-session";
      accountId: string;
      userName: string;
      arn: string;
      userId: string;
      accessKeyId: string;
      tokenIssueTime: Date;
    }
  | {
      kind: "role-session";
      accountId: string;
      roleName: string;
      sessionName: string;
      arn: string;
      userId: string;
      accessKeyId: string;
      tokenIssueTime: Date;
    };

type TemporaryPrincipal = Exclude<Principal, { kind: "user" }>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** Who a session acts as; its access key ID and issue time come from the session itself. */
export type SessionPrincipal = DistributiveOmit<TemporaryPrincipal, "accessKeyId" | "tokenIssueTime">;

export interface Session {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  issuedAt: Date;
  expiration: Date;
  principal: SessionPrincipal;
}

export const userArn = (accountId: string, userName: string, path = "/") =>
  `arn:aws:iam::${accountId}:user${path}${userName}`;
export const roleArn = (accountId: string, roleName: string) => `arn:aws:iam::${accountId}:role/${roleName}`;

export class SimState {
  readonly accounts = new Map<string, Account>();
  readonly keys = new Map<string, KeyRecord>();
  /** Deleted long-term keys: still decodable by GetAccessKeyInfo, never authenticate. */
  readonly deletedKeys = new Map<string, string>();
  /** Every secret access key ever issued (test hook: a secret must never appear where keyfence writes). */
  readonly issuedSecrets: string[] = [];
  readonly sessions = new Map<string, Session>();
  /** Offset added to the wall clock for expirations (tests "advance time"). */
  clockOffsetMs = 0;
  /** How long a new access key keeps failing authentication (IAM is eventually consistent). */
  keyPropagationMs = 0;

  now(): Date {
    return new Date(Date.now() + this.clockOffsetMs);
  }

  addAccount(accountId: string): Account {
    if (!/^\d{12}$/.test(accountId)) throw new Error(`account IDs are 12 digits: ${accountId}`);
    let a = this.accounts.get(accountId);
    if (!a) {
      a = { accountId, users: new Map(), roles: new Map(), secrets: new Map() };
      this.accounts.set(accountId, a);
    }
    return a;
  }

  account(accountId: string): Account {
    const a = this.accounts.get(accountId);
    if (!a) throw new Error(`no such account ${accountId}`);
    return a;
  }

  deleteUser(accountId: string, userName: string): void {
    const u = this.user(accountId, userName);
    if (this.keysOf(accountId, userName).length) throw new AwsError("DeleteConflict", "Cannot delete entity, must delete access keys first.");
    if (u.policies.size) throw new AwsError("DeleteConflict", "Cannot delete entity, must delete policies first.");
    if (u.attached.length) throw new AwsError("DeleteConflict", "Cannot delete entity, must detach all policies first.");
    this.account(accountId).users.delete(userName);
  }

  addUser(accountId: string, userName: string): User {
    const a = this.addAccount(accountId);
    let u = a.users.get(userName);
    if (!u) {
      u = {
        userName,
        userId: principalId("AIDA", accountId),
        path: "/",
        createDate: this.now(),
        policies: new Map(),
        attached: [],
      };
      a.users.set(userName, u);
    }
    return u;
  }

  addRole(accountId: string, roleName: string, trustedAccountIds?: string[]): Role {
    const a = this.addAccount(accountId);
    const role: Role = {
      roleName,
      roleId: a.roles.get(roleName)?.roleId ?? principalId("AROA", accountId),
      createDate: a.roles.get(roleName)?.createDate ?? this.now(),
      trustedAccountIds: trustedAccountIds ?? [accountId],
      maxSessionDuration: 3600,
    };
    a.roles.set(roleName, role);
    return role;
  }

  /** The user in an account, or NoSuchEntity as IAM reports it. */
  user(accountId: string, userName: string): User {
    const u = this.accounts.get(accountId)?.users.get(userName);
    if (!u) throw new AwsError("NoSuchEntity", `The user with name ${userName} cannot be found.`);
    return u;
  }

  keysOf(accountId: string, userName: string): KeyRecord[] {
    return [...this.keys.values()]
      .filter((k) => k.accountId === accountId && k.userName === userName)
      .sort((a, b) => a.createDate.getTime() - b.createDate.getTime());
  }

  createAccessKey(accountId: string, userName: string): KeyRecord {
    this.user(accountId, userName);
    if (this.keysOf(accountId, userName).length >= 2) {
      throw new AwsError("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2");
    }
    let id: string;
    do id = encodeKeyId("AKIA", accountId);
    while (this.keys.has(id) || this.deletedKeys.has(id) || this.sessions.has(id));
    const k: KeyRecord = {
      accessKeyId: id,
      secretAccessKey: randomSecret(),
      accountId,
      userName,
      status: "Active",
      createDate: new Date(Math.floor(this.now().getTime() / 1000) * 1000),
      createdAt: this.now(),
    };
    this.keys.set(id, k);
    this.issuedSecrets.push(k.secretAccessKey);
    return k;
  }

  deleteAccessKey(accessKeyId: string): void {
    const k = this.keys.get(accessKeyId);
    if (!k) return;
    this.keys.delete(accessKeyId);
    this.deletedKeys.set(accessKeyId, k.accountId);
  }

  createSession(principal: SessionPrincipal, durationSeconds: number): Session {
    const accountId = principal.accountId;
    let id: string;
    do id = encodeKeyId("ASIA", accountId);
    while (this.keys.has(id) || this.sessions.has(id));
    const issuedAt = this.now();
    const s: Session = {
      accessKeyId: id,
      secretAccessKey: randomSecret(),
      sessionToken: randomSessionToken(),
      issuedAt,
      expiration: new Date(issuedAt.getTime() + durationSeconds * 1000),
      principal,
    };
    this.sessions.set(id, s);
    return s;
  }
}
