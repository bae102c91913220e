import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAwsSim, type AwsSim } from "../../../src/sim/aws/index.js";
import { clients, rejection } from "./helpers.js";

const A = "444444444444";
const B = "555555555555";
let sim: AwsSim;

beforeAll(async () => {
  sim = await startAwsSim();
});
afterAll(async () => {
  await sim.close();
});

describe("Secrets Manager", () => {
  it("creates, puts, gets and describes secrets with version stages", async () => {
    const k = sim.createAccessKey(A, "ops");
    const { sm } = clients(sim, k);
    const c = await sm.send(new CreateSecretCommand({ Name: "ci/aws", SecretString: "v1", Description: "CI key" }));
    expect(c.Name).toBe("ci/aws");
    expect(c.ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:us-east-1:${A}:secret:ci/aws-[A-Za-z]{6}$`));
    expect(c.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sim.secretValue(A, "ci/aws")).toBe("v1");

    const p = await sm.send(new PutSecretValueCommand({ SecretId: "ci/aws", SecretString: "v2" }));
    expect(p.VersionStages).toEqual(["AWSCURRENT"]);
    expect(p.ARN).toBe(c.ARN);
    expect(sim.secretValue(A, "ci/aws")).toBe("v2");
    expect(sim.secretValue(A, c.ARN!)).toBe("v2");

    const g = await sm.send(new GetSecretValueCommand({ SecretId: c.ARN }));
    expect(g).toMatchObject({ Name: "ci/aws", SecretString: "v2", VersionId: p.VersionId, VersionStages: ["AWSCURRENT"] });
    expect(g.CreatedDate).toBeInstanceOf(Date);
    const prev = await sm.send(new GetSecretValueCommand({ SecretId: "ci/aws", VersionStage: "AWSPREVIOUS" }));
    expect(prev.SecretString).toBe("v1");
    expect(prev.VersionId).toBe(c.VersionId);

    const d = await sm.send(new DescribeSecretCommand({ SecretId: "ci/aws" }));
    expect(d.Description).toBe("CI key");
    expect(d.VersionIdsToStages).toEqual({ [c.VersionId!]: ["AWSPREVIOUS"], [p.VersionId!]: ["AWSCURRENT"] });
    expect(d.CreatedDate).toBeInstanceOf(Date);
    expect(d.LastChangedDate).toBeInstanceOf(Date);
  });

  it("is idempotent on ClientRequestToken", async () => {
    const k = sim.createAccessKey(A, "idem");
    const { sm } = clients(sim, k);
    await sm.send(new CreateSecretCommand({ Name: "idem", SecretString: "a" }));
    const token = "11111111-2222-3333-4444-555555555555";
    const p1 = await sm.send(new PutSecretValueCommand({ SecretId: "idem", SecretString: "b", ClientRequestToken: token }));
    const p2 = await sm.send(new PutSecretValueCommand({ SecretId: "idem", SecretString: "b", ClientRequestToken: token }));
    expect(p2.VersionId).toBe(p1.VersionId);
    const e = await rejection(sm.send(new PutSecretValueCommand({ SecretId: "idem", SecretString: "c", ClientRequestToken: token })));
    expect(e.name).toBe("ResourceExistsException");
  });

  it("raises the service's JSON errors", async () => {
    const k = sim.createAccessKey(A, "errs");
    const { sm } = clients(sim, k);
    const e = await rejection(sm.send(new GetSecretValueCommand({ SecretId: "missing" })));
    expect(e.name).toBe("ResourceNotFoundException");
    expect(e.message).toBe("Secrets Manager can't find the specified secret.");
    expect(e.$metadata?.httpStatusCode).toBe(400);
    expect((await rejection(sm.send(new PutSecretValueCommand({ SecretId: "missing", SecretString: "x" })))).name).toBe(
      "ResourceNotFoundException",
    );
    expect((await rejection(sm.send(new DescribeSecretCommand({ SecretId: "missing" })))).name).toBe("ResourceNotFoundException");
    await sm.send(new CreateSecretCommand({ Name: "dup", SecretString: "x" }));
    const dup = await rejection(sm.send(new CreateSecretCommand({ Name: "dup", SecretString: "x" })));
    expect(dup.name).toBe("ResourceExistsException");
    expect(dup.message).toBe("The operation failed because the secret dup already exists.");
  });

  it("answers on the wire with awsJson 1.1 and __type errors", async () => {
    const res = await fetch(sim.url + "/", {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "secretsmanager.GetSecretValue" },
      body: JSON.stringify({ SecretId: "x" }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toBe("application/x-amz-json-1.1");
    expect(await res.json()).toEqual({ __type: "MissingAuthenticationTokenException", message: "Request is missing Authentication Token" });
  });

  it("keeps accounts' secrets apart", async () => {
    const a = sim.createAccessKey(A, "iso-a");
    const b = sim.createAccessKey(B, "iso-b");
    const c = await clients(sim, a).sm.send(new CreateSecretCommand({ Name: "mine", SecretString: "a-only" }));
    expect((await rejection(clients(sim, b).sm.send(new GetSecretValueCommand({ SecretId: "mine" })))).name).toBe(
      "ResourceNotFoundException",
    );
    expect((await rejection(clients(sim, b).sm.send(new GetSecretValueCommand({ SecretId: c.ARN })))).name).toBe(
      "AccessDeniedException",
    );
    expect(sim.secretValue(B, "mine")).toBeUndefined();
  });
});
