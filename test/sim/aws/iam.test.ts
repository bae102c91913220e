import {
  LimitExceededException,
  NoSuchEntityException,
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  DeleteUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAwsSim, type AwsSim } from "../../../src/sim/aws/index.js";
import { clients, rejection } from "./helpers.js";

const A = "111111111111";
const B = "222222222222";
let sim: AwsSim;

beforeAll(async () => {
  sim = await startAwsSim();
});
afterAll(async () => {
  await sim.close();
});

describe("IAM access keys", () => {
  it("creates, lists, deactivates, reactivates and deletes keys", async () => {
    const admin = sim.createAccessKey(A, "admin");
    sim.addUser(A, "ci");
    const { iam } = clients(sim, admin);

    const created = await iam.send(new CreateAccessKeyCommand({ UserName: "ci" }));
    const k = created.AccessKey!;
    expect(k.UserName).toBe("ci");
    expect(k.Status).toBe("Active");
    expect(k.AccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(k.SecretAccessKey).toMatch(/^[A-Za-z0-9/+]{40}$/);
    expect(k.CreateDate).toBeInstanceOf(Date);
    expect(sim.key(k.AccessKeyId!)).toMatchObject({ accountId: A, userName: "ci", status: "Active" });

    const listed = await iam.send(new ListAccessKeysCommand({ UserName: "ci" }));
    expect(listed.IsTruncated).toBe(false);
    expect(listed.AccessKeyMetadata).toEqual([
      { UserName: "ci", AccessKeyId: k.AccessKeyId, Status: "Active", CreateDate: k.CreateDate },
    ]);

    await iam.send(new UpdateAccessKeyCommand({ UserName: "ci", AccessKeyId: k.AccessKeyId, Status: "Inactive" }));
    expect(sim.key(k.AccessKeyId!)?.status).toBe("Inactive");
    expect((await iam.send(new ListAccessKeysCommand({ UserName: "ci" }))).AccessKeyMetadata?.[0].Status).toBe("Inactive");
    await iam.send(new UpdateAccessKeyCommand({ UserName: "ci", AccessKeyId: k.AccessKeyId, Status: "Active" }));
    expect(sim.key(k.AccessKeyId!)?.status).toBe("Active");

    await iam.send(new DeleteAccessKeyCommand({ UserName: "ci", AccessKeyId: k.AccessKeyId }));
    expect(sim.key(k.AccessKeyId!)).toBeUndefined();
    expect(sim.keysOf(A, "ci")).toEqual([]);
    const again = await rejection(iam.send(new DeleteAccessKeyCommand({ UserName: "ci", AccessKeyId: k.AccessKeyId })));
    expect(again.name).toBe("NoSuchEntityException");
    expect(again.message).toBe(`The Access Key with id ${k.AccessKeyId} cannot be found.`);
    expect(again.$metadata?.httpStatusCode).toBe(404);
  });

  it("defaults UserName to the caller, as IAM does", async () => {
    const me = sim.createAccessKey(A, "self");
    const { iam } = clients(sim, me);
    const keys = await iam.send(new ListAccessKeysCommand({}));
    expect(keys.AccessKeyMetadata?.map((k) => k.AccessKeyId)).toEqual([me.accessKeyId]);
    const u = await iam.send(new GetUserCommand({}));
    expect(u.User).toMatchObject({ UserName: "self", Path: "/", Arn: `arn:aws:iam::${A}:user/self` });
    expect(u.User?.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
  });

  it("refuses a third key with LimitExceeded (409)", async () => {
    const admin = sim.createAccessKey(A, "limits-admin");
    sim.addUser(A, "two");
    const { iam } = clients(sim, admin);
    await iam.send(new CreateAccessKeyCommand({ UserName: "two" }));
    await iam.send(new CreateAccessKeyCommand({ UserName: "two" }));
    const e = await rejection(iam.send(new CreateAccessKeyCommand({ UserName: "two" })));
    expect(e.name).toBe("LimitExceededException");
    expect(e).toBeInstanceOf(LimitExceededException);
    expect(e.message).toBe("Cannot exceed quota for AccessKeysPerUser: 2");
    expect(e.$metadata?.httpStatusCode).toBe(409);
    expect(() => sim.createAccessKey(A, "two")).toThrow(/AccessKeysPerUser/);
  });

  it("reports NoSuchEntity for unknown users and keys", async () => {
    const admin = sim.createAccessKey(A, "nse-admin");
    const { iam } = clients(sim, admin);
    const e = await rejection(iam.send(new ListAccessKeysCommand({ UserName: "ghost" })));
    expect(e.name).toBe("NoSuchEntityException");
    expect(e).toBeInstanceOf(NoSuchEntityException);
    expect(e.Code).toBe("NoSuchEntity");
    expect(e.message).toBe("The user with name ghost cannot be found.");
    const e2 = await rejection(
      iam.send(new UpdateAccessKeyCommand({ UserName: "nse-admin", AccessKeyId: "AKIAIOSFODNN7EXAMPLE", Status: "Inactive" })),
    );
    expect(e2.name).toBe("NoSuchEntityException");
  });

  it("validates input as IAM does", async () => {
    const admin = sim.createAccessKey(A, "val-admin");
    const { iam } = clients(sim, admin);
    const e = await rejection(
      iam.send(new UpdateAccessKeyCommand({ UserName: "val-admin", AccessKeyId: admin.accessKeyId, Status: "Paused" as never })),
    );
    expect(e.name).toBe("ValidationError");
    expect(e.$metadata?.httpStatusCode).toBe(400);
  });

  it("keeps accounts apart: a user of A cannot see users of B", async () => {
    const a = sim.createAccessKey(A, "alice-a");
    const b = sim.createAccessKey(B, "bob-b");
    const { iam } = clients(sim, a);
    const e = await rejection(iam.send(new ListAccessKeysCommand({ UserName: "bob-b" })));
    expect(e.name).toBe("NoSuchEntityException");
    const e2 = await rejection(iam.send(new UpdateAccessKeyCommand({ UserName: "alice-a", AccessKeyId: b.accessKeyId, Status: "Inactive" })));
    expect(e2.name).toBe("NoSuchEntityException");
    expect(sim.key(b.accessKeyId)?.status).toBe("Active");
  });
});

describe("GetAccessKeyLastUsed", () => {
  it("reports N/A until the key signs a request, then date, service and region", async () => {
    const admin = sim.createAccessKey(A, "lu-admin");
    const target = sim.createAccessKey(A, "lu-target");
    const { iam } = clients(sim, admin);
    const before = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: target.accessKeyId }));
    expect(before.UserName).toBe("lu-target");
    expect(before.AccessKeyLastUsed).toEqual({ ServiceName: "N/A", Region: "N/A" });
    expect(sim.key(target.accessKeyId)?.lastUsed).toBeUndefined();

    const t0 = Date.now();
    const { sts } = clients(sim, target);
    await sts.send(new GetCallerIdentityCommand({}));
    const after = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: target.accessKeyId }));
    expect(after.AccessKeyLastUsed?.ServiceName).toBe("sts");
    expect(after.AccessKeyLastUsed?.Region).toBe("us-east-1");
    // IAM reports the date at minute granularity.
    expect(after.AccessKeyLastUsed?.LastUsedDate?.getTime()).toBe(Math.floor(sim.key(target.accessKeyId)!.lastUsed!.date.getTime() / 60_000) * 60_000);
    expect(sim.key(target.accessKeyId)?.lastUsed).toMatchObject({ serviceName: "sts", region: "us-east-1" });
    expect(sim.key(target.accessKeyId)!.lastUsed!.date.getTime()).toBeGreaterThanOrEqual(t0);
    // the admin key itself was last used by IAM
    expect(sim.key(admin.accessKeyId)?.lastUsed?.serviceName).toBe("iam");
  });

  it("does not reveal keys of other accounts", async () => {
    const a = sim.createAccessKey(A, "lu-a");
    const b = sim.createAccessKey(B, "lu-b");
    const { iam } = clients(sim, a);
    const e = await rejection(iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: b.accessKeyId })));
    expect(e.name).toBe("AccessDenied");
    expect(e.message).toContain("iam:GetAccessKeyLastUsed");
  });
});

describe("IAM user policies", () => {
  it("puts, gets (URL-encoded, as IAM returns it), lists and deletes inline policies", async () => {
    const admin = sim.createAccessKey(A, "pol-admin");
    sim.addUser(A, "pol-user");
    const { iam } = clients(sim, admin);
    const doc = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "s3:*", Resource: "*" }] });
    await iam.send(new PutUserPolicyCommand({ UserName: "pol-user", PolicyName: "no-s3", PolicyDocument: doc }));
    expect(sim.userPolicies(A, "pol-user")).toEqual({ "no-s3": doc });

    const got = await iam.send(new GetUserPolicyCommand({ UserName: "pol-user", PolicyName: "no-s3" }));
    expect(got.UserName).toBe("pol-user");
    expect(got.PolicyName).toBe("no-s3");
    expect(decodeURIComponent(got.PolicyDocument!)).toBe(doc);

    const listed = await iam.send(new ListUserPoliciesCommand({ UserName: "pol-user" }));
    expect(listed.PolicyNames).toEqual(["no-s3"]);
    expect(listed.IsTruncated).toBe(false);

    await iam.send(new DeleteUserPolicyCommand({ UserName: "pol-user", PolicyName: "no-s3" }));
    expect(sim.userPolicies(A, "pol-user")).toEqual({});
    expect((await iam.send(new ListUserPoliciesCommand({ UserName: "pol-user" }))).PolicyNames).toEqual([]);
    const e = await rejection(iam.send(new GetUserPolicyCommand({ UserName: "pol-user", PolicyName: "no-s3" })));
    expect(e.name).toBe("NoSuchEntityException");
    expect(e.message).toBe("The user policy with name no-s3 cannot be found.");
    const e2 = await rejection(iam.send(new DeleteUserPolicyCommand({ UserName: "pol-user", PolicyName: "no-s3" })));
    expect(e2.name).toBe("NoSuchEntityException");
  });

  it("rejects malformed policy documents", async () => {
    const admin = sim.createAccessKey(A, "pol-admin2");
    const { iam } = clients(sim, admin);
    const e = await rejection(iam.send(new PutUserPolicyCommand({ UserName: "pol-admin2", PolicyName: "x", PolicyDocument: "{not json" })));
    expect(e.name).toBe("MalformedPolicyDocumentException");
    expect(e.$metadata?.httpStatusCode).toBe(400);
  });

  it("lists attached managed policies, and AWS's quarantine policy takes effect", async () => {
    const admin = sim.createAccessKey(A, "q-admin");
    const leaked = sim.createAccessKey(A, "q-leaky");
    const arn = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2";
    const { iam } = clients(sim, admin);
    expect((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: "q-leaky" }))).AttachedPolicies).toEqual([]);
    sim.attachUserPolicy(A, "q-leaky", arn);
    const r = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: "q-leaky" }));
    expect(r.AttachedPolicies).toEqual([{ PolicyName: "AWSCompromisedKeyQuarantineV2", PolicyArn: arn }]);
    expect(r.IsTruncated).toBe(false);

    // the quarantined user's own key can no longer mint keys, but can still read
    const q = clients(sim, leaked);
    const e = await rejection(q.iam.send(new CreateAccessKeyCommand({})));
    expect(e.name).toBe("AccessDenied");
    expect(e.message).toContain("iam:CreateAccessKey");
    expect(e.message).toContain("explicit deny");
    await q.iam.send(new ListAccessKeysCommand({}));
  });
});
