import { ListAccessKeysCommand, UpdateAccessKeyCommand, DeleteAccessKeyCommand } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, GetSessionTokenCommand } from "@aws-sdk/client-sts";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { SignatureV4 } from "@smithy/signature-v4";
import { createHash, createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAwsSim, type AwsSim } from "../../../src/sim/aws/index.js";
import { clients, fromStsCredentials, rejection } from "./helpers.js";

const A = "333333333333";
let sim: AwsSim;

beforeAll(async () => {
  sim = await startAwsSim();
});
afterAll(async () => {
  await sim.close();
});

class Sha256 {
  private h;
  constructor(secret?: unknown) {
    this.h = secret === undefined ? createHash("sha256") : createHmac("sha256", secret as Uint8Array);
  }
  update(d: string | Uint8Array) {
    this.h.update(d);
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
  reset() {}
}

/** A hand-signed awsQuery request, to exercise the wire without the SDK in between. */
async function signedFetch(
  url: string,
  creds: { accessKeyId: string; secretAccessKey: string },
  body: string,
  opts: { service?: string; tamper?: (h: Record<string, string>, body: string) => string; date?: Date } = {},
) {
  const u = new URL(url);
  const signer = new SignatureV4({ credentials: creds, region: "us-east-1", service: opts.service ?? "sts", sha256: Sha256 as never });
  const req = await signer.sign(
    {
      method: "POST",
      protocol: "http:",
      hostname: u.hostname,
      port: Number(u.port),
      path: "/",
      query: {},
      headers: { host: u.host, "content-type": "application/x-www-form-urlencoded" },
      body,
    },
    { signingDate: opts.date },
  );
  const headers = req.headers as Record<string, string>;
  const sent = opts.tamper ? opts.tamper(headers, body) : body;
  delete headers.host;
  const res = await fetch(url + "/", { method: "POST", headers, body: sent });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe("SigV4 authentication", () => {
  it("accepts a correctly signed request and answers with AWS's XML", async () => {
    const k = sim.createAccessKey(A, "wire");
    const r = await signedFetch(sim.url, k, "Action=GetCallerIdentity&Version=2011-06-15");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/xml");
    expect(r.text).toMatch(/^<GetCallerIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/);
    expect(r.text).toContain("<GetCallerIdentityResult>");
    expect(r.text).toContain(`<Arn>arn:aws:iam::${A}:user/wire</Arn>`);
    expect(r.text).toMatch(/<ResponseMetadata>\s*<RequestId>[0-9a-f-]{36}<\/RequestId>\s*<\/ResponseMetadata>/);
  });

  it("rejects a tampered body with SignatureDoesNotMatch (403, ErrorResponse XML)", async () => {
    const k = sim.createAccessKey(A, "tamper");
    const r = await signedFetch(sim.url, k, "Action=GetCallerIdentity&Version=2011-06-15", {
      tamper: (_h, b) => b + "&Extra=1",
    });
    expect(r.status).toBe(403);
    expect(r.text).toMatch(/^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/);
    expect(r.text).toContain("<Type>Sender</Type>");
    expect(r.text).toContain("<Code>SignatureDoesNotMatch</Code>");
    expect(r.text).toMatch(/<\/Error>\s*<RequestId>[0-9a-f-]{36}<\/RequestId>\s*<\/ErrorResponse>/);
  });

  it("rejects a request signed too long ago", async () => {
    const k = sim.createAccessKey(A, "old");
    const r = await signedFetch(sim.url, k, "Action=GetCallerIdentity&Version=2011-06-15", { date: new Date(Date.now() - 20 * 60_000) });
    expect(r.status).toBe(403);
    expect(r.text).toContain("<Code>SignatureDoesNotMatch</Code>");
    expect(r.text).toContain("Signature expired");
  });

  it("accepts the query form (GET with the parameters in the URL), signed", async () => {
    const k = sim.createAccessKey(A, "getter");
    const u = new URL(sim.url);
    const signer = new SignatureV4({ credentials: k, region: "us-east-1", service: "iam", sha256: Sha256 as never });
    const query = { Action: "ListAccessKeys", Version: "2010-05-08" };
    const req = await signer.sign({ method: "GET", protocol: "http:", hostname: u.hostname, port: Number(u.port), path: "/", query, headers: { host: u.host } });
    const headers = { ...(req.headers as Record<string, string>) };
    delete headers.host;
    const res = await fetch(`${sim.url}/?${new URLSearchParams(query)}`, { headers });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain(`<AccessKeyId>${k.accessKeyId}</AccessKeyId>`);
    expect(text).toContain("<IsTruncated>false</IsTruncated>");
  });

  it("rejects an unsigned request with MissingAuthenticationToken", async () => {
    const res = await fetch(sim.url + "/", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=GetCallerIdentity&Version=2011-06-15",
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("<Code>MissingAuthenticationToken</Code>");
  });

  it("answers an unknown action with InvalidAction (400)", async () => {
    const k = sim.createAccessKey(A, "unknown-action");
    const r = await signedFetch(sim.url, k, "Action=LaunchRockets&Version=2010-05-08", { service: "iam" });
    expect(r.status).toBe(400);
    expect(r.text).toContain("<Code>InvalidAction</Code>");
    expect(r.text).toContain('xmlns="https://iam.amazonaws.com/doc/2010-05-08/"');
    for (const action of ["constructor", "toString", "__proto__"]) {
      const r2 = await signedFetch(sim.url, k, `Action=${action}&Version=2010-05-08`, { service: "iam" });
      expect(r2.text).toContain("<Code>InvalidAction</Code>");
    }
    const r3 = await signedFetch(sim.url, k, "Action=ListAccessKeys&Version=2011-06-15", { service: "iam" });
    expect(r3.text).toContain("Could not find operation ListAccessKeys for version 2011-06-15");
  });

  it("a wrong secret gets SignatureDoesNotMatch from the SDK", async () => {
    const k = sim.createAccessKey(A, "wrong-secret");
    const { sts, iam, sm } = clients(sim, { accessKeyId: k.accessKeyId, secretAccessKey: "x".repeat(40) });
    const e = await rejection(sts.send(new GetCallerIdentityCommand({})));
    expect(e.name).toBe("SignatureDoesNotMatch");
    expect(e.$metadata?.httpStatusCode).toBe(403);
    expect(e.message).toMatch(/^The request signature we calculated does not match/);
    expect((await rejection(iam.send(new ListAccessKeysCommand({})))).name).toBe("SignatureDoesNotMatch");
    expect((await rejection(sm.send(new GetSecretValueCommand({ SecretId: "x" })))).name).toBe("InvalidSignatureException");
    expect(sim.key(k.accessKeyId)?.lastUsed).toBeUndefined();
  });

  it("an unknown key gets InvalidClientTokenId", async () => {
    const { sts, sm } = clients(sim, { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" });
    const e = await rejection(sts.send(new GetCallerIdentityCommand({})));
    expect(e.name).toBe("InvalidClientTokenId");
    expect(e.message).toBe("The security token included in the request is invalid.");
    expect(e.$metadata?.httpStatusCode).toBe(403);
    const e2 = await rejection(sm.send(new GetSecretValueCommand({ SecretId: "x" })));
    expect(e2.name).toBe("UnrecognizedClientException");
  });

  it("an Inactive key stops working at once, a reactivated one works again, a deleted one never", async () => {
    const admin = sim.createAccessKey(A, "kadmin");
    const leaked = sim.createAccessKey(A, "leaky");
    const { iam } = clients(sim, admin);
    const victim = clients(sim, leaked);
    await victim.sts.send(new GetCallerIdentityCommand({}));

    await iam.send(new UpdateAccessKeyCommand({ UserName: "leaky", AccessKeyId: leaked.accessKeyId, Status: "Inactive" }));
    const e = await rejection(victim.sts.send(new GetCallerIdentityCommand({})));
    expect(e.name).toBe("InvalidClientTokenId");
    expect((await rejection(victim.iam.send(new ListAccessKeysCommand({})))).name).toBe("InvalidClientTokenId");

    await iam.send(new UpdateAccessKeyCommand({ UserName: "leaky", AccessKeyId: leaked.accessKeyId, Status: "Active" }));
    const who = await victim.sts.send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(`arn:aws:iam::${A}:user/leaky`);

    await iam.send(new DeleteAccessKeyCommand({ UserName: "leaky", AccessKeyId: leaked.accessKeyId }));
    expect((await rejection(victim.sts.send(new GetCallerIdentityCommand({})))).name).toBe("InvalidClientTokenId");
  });

  it("temporary credentials need their session token, and expire", async () => {
    const k = sim.createAccessKey(A, "temp");
    const { sts } = clients(sim, k);
    const r = await sts.send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
    const creds = fromStsCredentials(r.Credentials);
    expect(creds.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(r.Credentials?.Expiration?.getTime()).toBeGreaterThan(Date.now() + 890_000);

    const withToken = clients(sim, creds);
    expect((await withToken.sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${A}:user/temp`);

    const noToken = clients(sim, { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey });
    expect((await rejection(noToken.sts.send(new GetCallerIdentityCommand({})))).name).toBe("InvalidClientTokenId");
    const badToken = clients(sim, { ...creds, sessionToken: creds.sessionToken + "x" });
    expect((await rejection(badToken.sts.send(new GetCallerIdentityCommand({})))).name).toBe("InvalidClientTokenId");

    // GetSessionToken credentials without MFA cannot call IAM at all (AWS documents this)
    expect((await rejection(withToken.iam.send(new ListAccessKeysCommand({})))).name).toBe("InvalidClientTokenId");
    // nor get another session token
    expect((await rejection(withToken.sts.send(new GetSessionTokenCommand({})))).name).toBe("AccessDenied");

    sim.advanceClock(901_000);
    try {
      const e = await rejection(withToken.sts.send(new GetCallerIdentityCommand({})));
      expect(e.name).toBe("ExpiredToken");
      expect(e.$metadata?.httpStatusCode).toBe(403);
      expect((await rejection(withToken.sm.send(new GetSecretValueCommand({ SecretId: "x" })))).name).toBe("ExpiredTokenException");
    } finally {
      sim.advanceClock(-901_000);
    }
  });

  it("the SDK's default credential chain and AWS_ENDPOINT_URL_* reach the simulator", async () => {
    const k = sim.createAccessKey(A, "env");
    const saved = { ...process.env };
    try {
      Object.assign(process.env, {
        AWS_ACCESS_KEY_ID: k.accessKeyId,
        AWS_SECRET_ACCESS_KEY: k.secretAccessKey,
        AWS_REGION: "us-east-1",
        AWS_ENDPOINT_URL_IAM: sim.url,
        AWS_ENDPOINT_URL_STS: sim.url,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: sim.url,
      });
      delete process.env.AWS_SESSION_TOKEN;
      delete process.env.AWS_PROFILE;
      const { STSClient } = await import("@aws-sdk/client-sts");
      const { IAMClient } = await import("@aws-sdk/client-iam");
      const { SecretsManagerClient, CreateSecretCommand } = await import("@aws-sdk/client-secrets-manager");
      const who = await new STSClient({}).send(new GetCallerIdentityCommand({}));
      expect(who.Account).toBe(A);
      const keys = await new IAMClient({}).send(new ListAccessKeysCommand({}));
      expect(keys.AccessKeyMetadata?.[0].AccessKeyId).toBe(k.accessKeyId);
      await new SecretsManagerClient({}).send(new CreateSecretCommand({ Name: "env-secret", SecretString: "s" }));
      expect(sim.secretValue(A, "env-secret")).toBe("s");
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
});
