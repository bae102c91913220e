import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DetachUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  PutUserPolicyCommand,
  paginateListUserPolicies,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAwsSim, type AwsSim } from "../../../src/sim/aws/index.js";
import { clients, rejection, sleep } from "./helpers.js";

const A = "777777777777";
let sim: AwsSim;

beforeAll(async () => {
  sim = await startAwsSim();
});
afterAll(async () => {
  await sim.close();
});

const doc = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "s3:*", Resource: "*" }] });

describe("IAM pagination", () => {
  it("pages lists with MaxItems / Marker, and the SDK paginator walks them", async () => {
    const admin = sim.createAccessKey(A, "pager");
    const { iam } = clients(sim, admin);
    for (let i = 0; i < 5; i++) {
      await iam.send(new PutUserPolicyCommand({ UserName: "pager", PolicyName: `p${i}`, PolicyDocument: doc }));
    }
    const first = await iam.send(new ListUserPoliciesCommand({ UserName: "pager", MaxItems: 2 }));
    expect(first.PolicyNames).toEqual(["p0", "p1"]);
    expect(first.IsTruncated).toBe(true);
    expect(first.Marker).toBeTruthy();
    const second = await iam.send(new ListUserPoliciesCommand({ UserName: "pager", MaxItems: 2, Marker: first.Marker }));
    expect(second.PolicyNames).toEqual(["p2", "p3"]);

    const all: string[] = [];
    for await (const pg of paginateListUserPolicies({ client: iam, pageSize: 2 }, { UserName: "pager" })) all.push(...(pg.PolicyNames ?? []));
    expect(all).toEqual(["p0", "p1", "p2", "p3", "p4"]);

    const keys = await iam.send(new ListAccessKeysCommand({ MaxItems: 1 }));
    expect(keys.IsTruncated).toBe(false);
    expect((await rejection(iam.send(new ListAccessKeysCommand({ MaxItems: 0 })))).name).toBe("ValidationError");
  });
});

describe("inline policy quota", () => {
  it("refuses inline policies beyond 2,048 characters per user with LimitExceeded", async () => {
    const admin = sim.createAccessKey(A, "quota");
    const { iam } = clients(sim, admin);
    const big = (n: number) =>
      JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "x".repeat(n), Effect: "Deny", Action: "s3:*", Resource: "*" }] });
    await iam.send(new PutUserPolicyCommand({ UserName: "quota", PolicyName: "a", PolicyDocument: big(900) }));
    await iam.send(new PutUserPolicyCommand({ UserName: "quota", PolicyName: "a", PolicyDocument: big(1500) })); // replaces
    const e = await rejection(iam.send(new PutUserPolicyCommand({ UserName: "quota", PolicyName: "b", PolicyDocument: big(900) })));
    expect(e.name).toBe("LimitExceededException");
    expect(e.message).toBe("Maximum policy size of 2048 bytes exceeded for user quota");
  });
});

describe("IAM users and managed policies", () => {
  it("creates, lists and deletes users; deleting a user with keys is a DeleteConflict", async () => {
    const admin = sim.createAccessKey(A, "uadmin");
    const { iam } = clients(sim, admin);
    const c = await iam.send(new CreateUserCommand({ UserName: "newbie" }));
    expect(c.User).toMatchObject({ UserName: "newbie", Arn: `arn:aws:iam::${A}:user/newbie`, Path: "/" });
    const dup = await rejection(iam.send(new CreateUserCommand({ UserName: "NEWBIE" })));
    expect(dup.name).toBe("EntityAlreadyExistsException");
    expect(dup.$metadata?.httpStatusCode).toBe(409);
    expect((await iam.send(new ListUsersCommand({}))).Users?.map((u) => u.UserName)).toContain("newbie");

    const k = await iam.send(new CreateAccessKeyCommand({ UserName: "newbie" }));
    const conflict = await rejection(iam.send(new DeleteUserCommand({ UserName: "newbie" })));
    expect(conflict.name).toBe("DeleteConflictException");
    expect(conflict.$metadata?.httpStatusCode).toBe(409);
    await iam.send(new DeleteAccessKeyCommand({ UserName: "newbie", AccessKeyId: k.AccessKey?.AccessKeyId }));
    await iam.send(new DeleteUserCommand({ UserName: "newbie" }));
    expect((await rejection(iam.send(new ListAccessKeysCommand({ UserName: "newbie" })))).name).toBe("NoSuchEntityException");
  });

  it("attaches and detaches managed policies", async () => {
    const admin = sim.createAccessKey(A, "padmin");
    const target = sim.createAccessKey(A, "ptarget");
    const { iam } = clients(sim, admin);
    const arn = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2";
    await iam.send(new AttachUserPolicyCommand({ UserName: "ptarget", PolicyArn: arn }));
    expect((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: "ptarget" }))).AttachedPolicies).toEqual([
      { PolicyName: "AWSCompromisedKeyQuarantineV2", PolicyArn: arn },
    ]);
    // the quarantined user cannot lift its own quarantine
    const self = await rejection(clients(sim, target).iam.send(new DetachUserPolicyCommand({ UserName: "ptarget", PolicyArn: arn })));
    expect(self.name).toBe("AccessDenied");
    await iam.send(new DetachUserPolicyCommand({ UserName: "ptarget", PolicyArn: arn }));
    expect((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: "ptarget" }))).AttachedPolicies).toEqual([]);
    expect((await rejection(iam.send(new DetachUserPolicyCommand({ UserName: "ptarget", PolicyArn: arn })))).name).toBe(
      "NoSuchEntityException",
    );
  });
});

describe("eventual consistency of new keys", () => {
  it("with keyPropagationMs, a new key fails with InvalidClientTokenId until it has propagated", async () => {
    const slow = await startAwsSim({ keyPropagationMs: 300 });
    try {
      const k = slow.createAccessKey(A, "fresh");
      const { sts } = clients(slow, k);
      expect((await rejection(sts.send(new GetCallerIdentityCommand({})))).name).toBe("InvalidClientTokenId");
      await sleep(350);
      expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe(A);
    } finally {
      await slow.close();
    }
  });
});
