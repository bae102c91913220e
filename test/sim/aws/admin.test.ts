import { CreateAccessKeyCommand, ListAccessKeysCommand } from "@aws-sdk/client-iam";
import { CreateSecretCommand, PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { GetCallerIdentityCommand, GetSessionTokenCommand, AssumeRoleCommand } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAwsSim, type AwsSim } from "../../../src/sim/aws/index.js";
import { clients, rejection } from "./helpers.js";

const A = "666666666666";
let sim: AwsSim;

beforeAll(async () => {
  sim = await startAwsSim();
});
afterAll(async () => {
  await sim.close();
});

describe("fault injection", () => {
  it("fails the next matching calls with the given AWS error, then recovers", async () => {
    const k = sim.createAccessKey(A, "faulty");
    const { iam, sts } = clients(sim, k);
    sim.fail({ service: "iam", action: "CreateAccessKey", code: "LimitExceeded", message: "Cannot exceed quota for AccessKeysPerUser: 2", times: 2 });
    for (let i = 0; i < 2; i++) {
      const e = await rejection(iam.send(new CreateAccessKeyCommand({})));
      expect(e.name).toBe("LimitExceededException");
      expect(e.$metadata?.httpStatusCode).toBe(409);
    }
    await iam.send(new CreateAccessKeyCommand({}));
    // other actions are untouched
    sim.fail({ action: "ListAccessKeys", code: "ServiceFailure" });
    await sts.send(new GetCallerIdentityCommand({}));
    const e = await rejection(iam.send(new ListAccessKeysCommand({})));
    expect(e.name).toBe("ServiceFailureException");
    expect(e.$metadata?.httpStatusCode).toBe(500);
    await iam.send(new ListAccessKeysCommand({}));
  });

  it("Throttling is retried by the SDK, so one injected throttle is invisible with default retries", async () => {
    const k = sim.createAccessKey(A, "throttled");
    sim.fail({ service: "sts", action: "GetCallerIdentity", code: "Throttling", message: "Rate exceeded" });
    const retrying = clients(sim, k, { maxAttempts: 3 });
    const r = await retrying.sts.send(new GetCallerIdentityCommand({}));
    expect(r.$metadata.attempts).toBe(2);
    sim.fail({ service: "sts", action: "GetCallerIdentity", code: "Throttling", message: "Rate exceeded" });
    const e = await rejection(clients(sim, k).sts.send(new GetCallerIdentityCommand({})));
    expect(e.name).toBe("Throttling");
    expect(e.$metadata?.httpStatusCode).toBe(400);
  });

  it("AccessDenied and JSON-service faults map to the SDK's exceptions", async () => {
    const k = sim.createAccessKey(A, "denied");
    const { sts, sm } = clients(sim, k);
    sim.fail({ action: "AssumeRole", code: "AccessDenied", message: "nope" });
    const e = await rejection(sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${A}:role/whatever`, RoleSessionName: "s1" })));
    expect(e.name).toBe("AccessDenied");
    expect(e.message).toBe("nope");
    await sm.send(new CreateSecretCommand({ Name: "f", SecretString: "1" }));
    sim.fail({ service: "secretsmanager", action: "PutSecretValue", code: "ResourceNotFoundException", message: "gone" });
    const e2 = await rejection(sm.send(new PutSecretValueCommand({ SecretId: "f", SecretString: "2" })));
    expect(e2.name).toBe("ResourceNotFoundException");
    expect(sim.secretValue(A, "f")).toBe("1");
  });

  it('action "*" matches every action of the service', async () => {
    const k = sim.createAccessKey(A, "star");
    sim.fail({ service: "iam", action: "*", code: "ServiceFailure", times: 2 });
    const { iam, sts } = clients(sim, k);
    await sts.send(new GetCallerIdentityCommand({}));
    expect((await rejection(iam.send(new ListAccessKeysCommand({})))).name).toBe("ServiceFailureException");
    expect((await rejection(iam.send(new CreateAccessKeyCommand({})))).name).toBe("ServiceFailureException");
    await iam.send(new ListAccessKeysCommand({}));
  });

  it("records every call", async () => {
    const k = sim.createAccessKey(A, "recorded");
    const n = sim.calls.length;
    await clients(sim, k).sts.send(new GetCallerIdentityCommand({}));
    await rejection(clients(sim, { ...k, secretAccessKey: "y".repeat(40) }).sts.send(new GetCallerIdentityCommand({})));
    expect(sim.calls.slice(n)).toEqual([
      { service: "sts", action: "GetCallerIdentity", accessKeyId: k.accessKeyId, ok: true, at: expect.any(Date), durationMs: expect.any(Number) },
      { service: "sts", action: "GetCallerIdentity", accessKeyId: k.accessKeyId, ok: false, code: "SignatureDoesNotMatch", at: expect.any(Date), durationMs: expect.any(Number) },
    ]);
  });
});

describe("latency", () => {
  it("delays every response by the configured latency", async () => {
    const k = sim.createAccessKey(A, "slow");
    const { sts } = clients(sim, k);
    await sts.send(new GetCallerIdentityCommand({}));
    sim.setLatency(150);
    try {
      const t = Date.now();
      await sts.send(new GetCallerIdentityCommand({}));
      expect(Date.now() - t).toBeGreaterThanOrEqual(145);
    } finally {
      sim.setLatency(0);
    }
    const t = Date.now();
    await sts.send(new GetCallerIdentityCommand({}));
    expect(Date.now() - t).toBeLessThan(145);
  });

  it("startAwsSim honours latencyMs", async () => {
    const slow = await startAwsSim({ latencyMs: 100 });
    try {
      const k = slow.createAccessKey(A, "s");
      const t = Date.now();
      await clients(slow, k).sts.send(new GetCallerIdentityCommand({}));
      expect(Date.now() - t).toBeGreaterThanOrEqual(95);
    } finally {
      await slow.close();
    }
  });
});

describe("admin endpoint", () => {
  it("GET /_sim/state shows accounts, users and keys, never a secret", async () => {
    const k = sim.createAccessKey(A, "visible");
    const { sts, sm } = clients(sim, k);
    const session = await sts.send(new GetSessionTokenCommand({}));
    await sm.send(new CreateSecretCommand({ Name: "hidden", SecretString: "super-secret-value" }));
    const res = await fetch(`${sim.url}/_sim/state`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const state = JSON.parse(text);
    const acct = state.accounts.find((a: { accountId: string }) => a.accountId === A);
    const user = acct.users.find((u: { userName: string }) => u.userName === "visible");
    expect(user.accessKeys).toEqual([
      expect.objectContaining({ accessKeyId: k.accessKeyId, status: "Active", createDate: expect.any(String) }),
    ]);
    expect(text).not.toContain(k.secretAccessKey);
    expect(text).not.toContain(session.Credentials!.SecretAccessKey!);
    expect(text).not.toContain(session.Credentials!.SessionToken!);
    expect(text).not.toContain("super-secret-value");
    expect(text.match(/"(secretAccessKey|sessionToken|secretString|secret)":/gi)).toBeNull();
  });

  it("POST /_sim/fail and /_sim/latency configure a running simulator from another process", async () => {
    const k = sim.createAccessKey(A, "remote");
    const post = (path: string, body: unknown) =>
      fetch(`${sim.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await post("/_sim/fail", { service: "iam", action: "ListAccessKeys", code: "NoSuchEntity", message: "gone" })).status).toBe(200);
    const e = await rejection(clients(sim, k).iam.send(new ListAccessKeysCommand({})));
    expect(e.name).toBe("NoSuchEntityException");
    expect((await post("/_sim/fail", { nonsense: true })).status).toBe(400);

    const clock = await post("/_sim/clock", { advanceMs: 0 });
    expect(clock.status).toBe(200);
    expect((await clock.json()).now).toMatch(/^\d{4}-/);

    expect((await post("/_sim/latency", { ms: 120 })).status).toBe(200);
    try {
      const t = Date.now();
      await clients(sim, k).iam.send(new ListAccessKeysCommand({}));
      expect(Date.now() - t).toBeGreaterThanOrEqual(115);
      expect((await (await fetch(`${sim.url}/_sim/state`)).json()).latencyMs).toBe(120);
    } finally {
      await post("/_sim/latency", { ms: 0 });
    }
  });
});
