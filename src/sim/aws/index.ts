import { SimServer, type CallRecord, type FailRule } from "./server.js";
import { SimState, type KeyRecord } from "./state.js";

export { decodeAccountFromKeyId, encodeKeyId } from "./keys.js";
export type { CallRecord, FailRule } from "./server.js";

export interface AwsSimOptions {
  port?: number;
  host?: string;
  latencyMs?: number;
  /** Extra: for this long after creation a new key fails with InvalidClientTokenId, as IAM's eventual consistency does (default 0). */
  keyPropagationMs?: number;
}

export interface SimAccessKey {
  accessKeyId: string;
  accountId: string;
  userName: string;
  status: "Active" | "Inactive";
  createDate: Date;
  lastUsed?: { date: Date; serviceName: string; region: string };
}

export interface AwsSim {
  /** http://127.0.0.1:PORT — point AWS_ENDPOINT_URL_IAM / _STS / _SECRETS_MANAGER here. */
  url: string;
  close(): Promise<void>;
  addAccount(accountId: string): void;
  addUser(accountId: string, userName: string): void;
  addRole(accountId: string, roleName: string, opts?: { trustedAccountIds?: string[] }): void;
  createAccessKey(accountId: string, userName: string): { accessKeyId: string; secretAccessKey: string };
  /** undefined once deleted */
  key(accessKeyId: string): SimAccessKey | undefined;
  keysOf(accountId: string, userName: string): SimAccessKey[];
  /** inline policy name -> JSON document */
  userPolicies(accountId: string, userName: string): Record<string, string>;
  attachUserPolicy(accountId: string, userName: string, policyArn: string): void;
  /** current (AWSCURRENT) SecretString of a secret, by name or ARN, in any region */
  secretValue(accountId: string, secretId: string): string | undefined;
  setLatency(ms: number): void;
  /** the next `times` (default 1) matching calls fail with that AWS error */
  fail(rule: { service?: "iam" | "sts" | "secretsmanager"; action: string; code: string; status?: number; message?: string; times?: number }): void;
  calls: Array<{ service: string; action: string; accessKeyId: string; ok: boolean; code?: string; at: Date; durationMs: number }>;
  /** Extra: moves the simulator's clock (session expiry, dates it reports) forward. */
  advanceClock(ms: number): void;
  /** Extra: from now on a new key fails authentication for `ms` after its creation (IAM's eventual consistency). */
  setKeyPropagation(ms: number): void;
  /** Extra: deletes a key as its account's administrator would (someone else than keyfence). */
  deleteAccessKey(accessKeyId: string): void;
  /** Extra: every secret access key this simulator ever issued, deleted keys' too. */
  issuedSecrets(): string[];
}

const view = (k: KeyRecord): SimAccessKey => ({
  accessKeyId: k.accessKeyId,
  accountId: k.accountId,
  userName: k.userName,
  status: k.status,
  createDate: new Date(k.createDate),
  lastUsed: k.lastUsed ? { ...k.lastUsed, date: new Date(k.lastUsed.date) } : undefined,
});

/** Starts a local IAM + STS + Secrets Manager on one HTTP server (127.0.0.1, random port by default). */
export async function startAwsSim(opts: AwsSimOptions = {}): Promise<AwsSim> {
  const state = new SimState();
  state.keyPropagationMs = opts.keyPropagationMs ?? 0;
  const server = new SimServer(state, { latencyMs: opts.latencyMs });
  const url = await server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1");
  return {
    url,
    close: () => server.close(),
    addAccount: (accountId) => void state.addAccount(accountId),
    addUser: (accountId, userName) => void state.addUser(accountId, userName),
    addRole: (accountId, roleName, o) => void state.addRole(accountId, roleName, o?.trustedAccountIds),
    createAccessKey(accountId, userName) {
      state.addUser(accountId, userName);
      const k = state.createAccessKey(accountId, userName);
      return { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey };
    },
    key(accessKeyId) {
      const k = state.keys.get(accessKeyId);
      return k ? view(k) : undefined;
    },
    keysOf: (accountId, userName) => state.keysOf(accountId, userName).map(view),
    userPolicies(accountId, userName) {
      const u = state.accounts.get(accountId)?.users.get(userName);
      return u ? Object.fromEntries(u.policies) : {};
    },
    attachUserPolicy(accountId, userName, policyArn) {
      const u = state.user(accountId, userName);
      if (!u.attached.includes(policyArn)) u.attached.push(policyArn);
    },
    secretValue(accountId, secretId) {
      const a = state.accounts.get(accountId);
      if (!a) return undefined;
      for (const s of a.secrets.values()) {
        if (s.name === secretId || s.arn === secretId || s.arn.slice(0, -7) === secretId) {
          return [...s.versions.values()].find((v) => v.stages.includes("AWSCURRENT"))?.secretString;
        }
      }
      return undefined;
    },
    setLatency(ms) {
      server.latencyMs = ms;
    },
    fail: (rule: FailRule) => server.fail(rule),
    calls: server.calls as CallRecord[],
    advanceClock(ms) {
      state.clockOffsetMs += ms;
    },
    setKeyPropagation(ms) {
      state.keyPropagationMs = ms;
    },
    issuedSecrets: () => [...state.issuedSecrets],
    deleteAccessKey(accessKeyId) {
      state.deleteAccessKey(accessKeyId);
    },
  };
}
