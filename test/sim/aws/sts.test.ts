import { CreateAccessKeyCommand, ListAccessKeysCommand, PutUserPolicyCommand, UpdateAccessKeyCommand } from "@aws-sdk/client-iam";
import { CreateSecretCommand, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import {
  AssumeRoleCommand,
  GetAccessKeyInfoCommand,
  GetCallerIdentityCommand,
  GetSessionTokenCommand,
} from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeAccountFromKeyId, encodeKeyId, startAwsSim, type AwsSim } from "../../../src/sim/aws/index.js";
import { clients, fromStsCredentials, rejection, revokeOlderSessions, sleep } from "./helpers.js";

const KF = "100000000001"; // keyfence's own account
const T = "200000000002"; // a customer account that trusts it
const U = "300000000003"; // a customer account that does not
let sim: AwsSim;

beforeAll(async () => {
  sim = await startAwsSim();
  sim.addRole(T, "keyfence", { trustedAccountIds: [KF] });
  sim.addRole(U, "keyfence", { trustedAccountIds: ["999999999999"] });
});
afterAll(async () => {
  await sim.close();
});

describe("GetCallerIdentity / GetAccessKeyInfo", () => {
  it("identifies the caller", async () => {
    const k = sim.createAccessKey(KF, "bot");
    const who = await clients(sim, k).sts.send(new GetCallerIdentityCommand({}));
    expect(who.Account).toBe(KF);
    expect(who.Arn).toBe(`arn:aws:iam::${KF}:user/bot`);
    expect(who.UserId).toMatch(/^AIDA/);
  });

  it("returns the account of any key ID: known, deleted, or only decodable", async () => {
    const me = sim.createAccessKey(KF, "info");
    const other = sim.createAccessKey(T, "someone");
    const { sts } = clients(sim, me);
    expect((await sts.send(new GetAccessKeyInfoCommand({ AccessKeyId: other.accessKeyId }))).Account).toBe(T);
    const foreign = encodeKeyId("AKIA", "424242424242");
    expect((await sts.send(new GetAccessKeyInfoCommand({ AccessKeyId: foreign }))).Account).toBe("424242424242");
    expect((await sts.send(new GetAccessKeyInfoCommand({ AccessKeyId: "ASIAY34FZKBOKMUTVV7A" }))).Account).toBe("609629065308");
    expect(decodeAccountFromKeyId(other.accessKeyId)).toBe(T);
  });
});

describe("AssumeRole", () => {
  it("succeeds for a trusted account; the session acts in the role's account", async () => {
    const bot = sim.createAccessKey(KF, "kf-bot");
    const victim = sim.createAccessKey(T, "dev");
    const { sts } = clients(sim, bot);
    const r = await sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${T}:role/keyfence`, RoleSessionName: "keyfence", DurationSeconds: 3600 }),
    );
    expect(r.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${T}:assumed-role/keyfence/keyfence`);
    expect(r.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{17}:keyfence$/);
    expect(r.Credentials?.Expiration).toBeInstanceOf(Date);
    const creds = fromStsCredentials(r.Credentials);
    expect(creds.accessKeyId).toMatch(/^ASIA/);
    expect(decodeAccountFromKeyId(creds.accessKeyId)).toBe(T);

    const role = clients(sim, creds);
    const who = await role.sts.send(new GetCallerIdentityCommand({}));
    expect(who).toMatchObject({ Account: T, Arn: `arn:aws:sts::${T}:assumed-role/keyfence/keyfence` });
    expect(who.UserId).toBe(r.AssumedRoleUser?.AssumedRoleId);

    const keys = await role.iam.send(new ListAccessKeysCommand({ UserName: "dev" }));
    expect(keys.AccessKeyMetadata?.map((k) => k.AccessKeyId)).toEqual([victim.accessKeyId]);
    await role.iam.send(new UpdateAccessKeyCommand({ UserName: "dev", AccessKeyId: victim.accessKeyId, Status: "Inactive" }));
    expect(sim.key(victim.accessKeyId)?.status).toBe("Inactive");

    // …and not in keyfence's own account
    expect((await rejection(role.iam.send(new ListAccessKeysCommand({ UserName: "kf-bot" })))).name).toBe("NoSuchEntityException");
    // a role is no user: UserName is required
    const e = await rejection(role.iam.send(new ListAccessKeysCommand({})));
    expect(e.name).toBe("ValidationError");
    expect(e.message).toBe("Must specify userName when calling with non-User credentials");
  });

  it("is AccessDenied for an untrusted account or a missing role", async () => {
    const bot = sim.createAccessKey(KF, "kf-bot2");
    const { sts } = clients(sim, bot);
    for (const arn of [`arn:aws:iam::${U}:role/keyfence`, `arn:aws:iam::${T}:role/nope`, `arn:aws:iam::555555555555:role/keyfence`]) {
      const e = await rejection(sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: "keyfence" })));
      expect(e.name).toBe("AccessDenied");
      expect(e.message).toBe(`User: arn:aws:iam::${KF}:user/kf-bot2 is not authorized to perform: sts:AssumeRole on resource: ${arn}`);
      expect(e.$metadata?.httpStatusCode).toBe(403);
    }
  });

  it("validates DurationSeconds against the role's maximum", async () => {
    const bot = sim.createAccessKey(KF, "kf-bot3");
    const e = await rejection(
      clients(sim, bot).sts.send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${T}:role/keyfence`, RoleSessionName: "k", DurationSeconds: 7200 }),
      ),
    );
    expect(e.name).toBe("ValidationError");
  });

  it("role sessions expire", async () => {
    const bot = sim.createAccessKey(KF, "kf-bot4");
    const r = await clients(sim, bot).sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${T}:role/keyfence`, RoleSessionName: "short", DurationSeconds: 900 }),
    );
    const role = clients(sim, fromStsCredentials(r.Credentials));
    await role.sts.send(new GetCallerIdentityCommand({}));
    sim.advanceClock(900_000);
    try {
      expect((await rejection(role.iam.send(new ListAccessKeysCommand({ UserName: "dev" })))).name).toBe("ExpiredToken");
    } finally {
      sim.advanceClock(-900_000);
    }
  });
});

describe("revoking sessions with aws:TokenIssueTime", () => {
  it("denies sessions issued before the cut-off, not those issued after, nor the long-term key", async () => {
    const admin = sim.createAccessKey(T, "sec-admin");
    const leaked = sim.createAccessKey(T, "leaked");
    await clients(sim, admin).sm.send(new CreateSecretCommand({ Name: "db", SecretString: "hunter2" }));

    const attacker = clients(sim, leaked);
    const early = clients(sim, fromStsCredentials((await attacker.sts.send(new GetSessionTokenCommand({}))).Credentials));
    expect((await early.sm.send(new GetSecretValueCommand({ SecretId: "db" }))).SecretString).toBe("hunter2");

    await sleep(5);
    const cutoff = new Date();
    await sleep(5);
    await clients(sim, admin).iam.send(
      new PutUserPolicyCommand({ UserName: "leaked", PolicyName: "revoke", PolicyDocument: revokeOlderSessions(cutoff) }),
    );
    const late = clients(sim, fromStsCredentials((await attacker.sts.send(new GetSessionTokenCommand({}))).Credentials));

    const e = await rejection(early.sm.send(new GetSecretValueCommand({ SecretId: "db" })));
    expect(e.name).toBe("AccessDeniedException");
    expect(e.message).toContain("explicit deny");
    const e2 = await rejection(
      early.sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${T}:role/keyfence`, RoleSessionName: "attacker" })),
    );
    expect(e2.name).toBe("AccessDenied");
    expect(e2.message).toBe(
      `User: arn:aws:iam::${T}:user/leaked is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${T}:role/keyfence with an explicit deny in an identity-based policy`,
    );
    // GetCallerIdentity cannot be denied by policy (AWS documents this), so it still answers.
    await early.sts.send(new GetCallerIdentityCommand({}));

    expect((await late.sm.send(new GetSecretValueCommand({ SecretId: "db" }))).SecretString).toBe("hunter2");
    expect((await attacker.sm.send(new GetSecretValueCommand({ SecretId: "db" }))).SecretString).toBe("hunter2");
    // the long-term key still works for IAM too (the condition key is absent for it)
    await attacker.iam.send(new ListAccessKeysCommand({}));
  });

  it("deactivating the key does not end sessions already issued with it (hence the policy)", async () => {
    const admin = sim.createAccessKey(T, "sess-admin");
    const leaked = sim.createAccessKey(T, "sess-leaked");
    await clients(sim, admin).sm.send(new CreateSecretCommand({ Name: "sess-db", SecretString: "pw" }));
    const session = clients(sim, fromStsCredentials((await clients(sim, leaked).sts.send(new GetSessionTokenCommand({}))).Credentials));
    await clients(sim, admin).iam.send(new UpdateAccessKeyCommand({ UserName: "sess-leaked", AccessKeyId: leaked.accessKeyId, Status: "Inactive" }));
    expect((await rejection(clients(sim, leaked).sts.send(new GetCallerIdentityCommand({})))).name).toBe("InvalidClientTokenId");
    expect((await session.sm.send(new GetSecretValueCommand({ SecretId: "sess-db" }))).SecretString).toBe("pw");
    await clients(sim, admin).iam.send(
      new PutUserPolicyCommand({ UserName: "sess-leaked", PolicyName: "revoke", PolicyDocument: revokeOlderSessions(new Date(Date.now() + 1)) }),
    );
    await sleep(2);
    expect((await rejection(session.sm.send(new GetSecretValueCommand({ SecretId: "sess-db" })))).name).toBe("AccessDeniedException");
  });

  it("a deny-all without condition blocks the long-term key too", async () => {
    const k = sim.createAccessKey(T, "blocked");
    const admin = sim.createAccessKey(T, "blk-admin");
    await clients(sim, admin).iam.send(
      new PutUserPolicyCommand({
        UserName: "blocked",
        PolicyName: "deny-all",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: { Effect: "Deny", Action: "*", Resource: "*" } }),
      }),
    );
    const e = await rejection(clients(sim, k).iam.send(new CreateAccessKeyCommand({})));
    expect(e.name).toBe("AccessDenied");
    expect(e.$metadata?.httpStatusCode).toBe(403);
  });
});
