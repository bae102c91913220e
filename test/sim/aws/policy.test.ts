import { describe, expect, it } from "vitest";
import { explicitlyDenied, policyDocumentError } from "../../../src/sim/aws/policy.js";

const ctx = (action: string, keys: Record<string, string | undefined> = {}, resource = "arn:aws:iam::111111111111:user/bob") => ({
  action,
  resource,
  keys,
});
const doc = (statement: object) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });

describe("explicit deny evaluation", () => {
  it("matches actions with wildcards, case-insensitively, and honours NotAction", () => {
    const d = doc({ Effect: "Deny", Action: ["iam:*AccessKey*"], Resource: "*" });
    expect(explicitlyDenied([d], [], ctx("iam:CreateAccessKey"))).toBe(true);
    expect(explicitlyDenied([d], [], ctx("IAM:createaccesskey"))).toBe(true);
    expect(explicitlyDenied([d], [], ctx("iam:GetUser"))).toBe(false);
    const n = doc({ Effect: "Deny", NotAction: "sts:*", Resource: "*" });
    expect(explicitlyDenied([n], [], ctx("iam:GetUser"))).toBe(true);
    expect(explicitlyDenied([n], [], ctx("sts:AssumeRole"))).toBe(false);
  });

  it("ignores Allow statements and non-matching resources", () => {
    expect(explicitlyDenied([doc({ Effect: "Allow", Action: "*", Resource: "*" })], [], ctx("iam:GetUser"))).toBe(false);
    const r = doc({ Effect: "Deny", Action: "*", Resource: "arn:aws:iam::*:user/alice" });
    expect(explicitlyDenied([r], [], ctx("iam:GetUser"))).toBe(false);
    expect(explicitlyDenied([r], [], ctx("iam:GetUser", {}, "arn:aws:iam::111111111111:user/alice"))).toBe(true);
  });

  it("evaluates date conditions on aws:TokenIssueTime; an absent key does not match unless IfExists", () => {
    const cut = "2026-01-01T00:00:00.000Z";
    const d = doc({ Effect: "Deny", Action: "*", Resource: "*", Condition: { DateLessThan: { "aws:TokenIssueTime": cut } } });
    expect(explicitlyDenied([d], [], ctx("s3:GetObject", { "aws:TokenIssueTime": "2025-12-31T23:59:59.999Z" }))).toBe(true);
    expect(explicitlyDenied([d], [], ctx("s3:GetObject", { "aws:TokenIssueTime": cut }))).toBe(false);
    expect(explicitlyDenied([d], [], ctx("s3:GetObject", {}))).toBe(false);
    const ie = doc({ Effect: "Deny", Action: "*", Resource: "*", Condition: { DateLessThanIfExists: { "aws:TokenIssueTime": cut } } });
    expect(explicitlyDenied([ie], [], ctx("s3:GetObject", {}))).toBe(true);
    const epoch = doc({ Effect: "Deny", Action: "*", Resource: "*", Condition: { DateLessThan: { "aws:TokenIssueTime": "1767225600" } } });
    expect(explicitlyDenied([epoch], [], ctx("s3:GetObject", { "aws:TokenIssueTime": "2025-06-01T00:00:00Z" }))).toBe(true);
  });

  it("evaluates string, bool and null conditions; unknown operators never match", () => {
    const s = doc({ Effect: "Deny", Action: "*", Resource: "*", Condition: { StringLike: { "aws:username": "dev-*" } } });
    expect(explicitlyDenied([s], [], ctx("iam:GetUser", { "aws:username": "dev-1" }))).toBe(true);
    expect(explicitlyDenied([s], [], ctx("iam:GetUser", { "aws:username": "ops" }))).toBe(false);
    const b = doc({ Effect: "Deny", Action: "*", Resource: "*", Condition: { Bool: { "aws:MultiFactorAuthPresent": "false" } } });
    expect(explicitlyDenied([b], [], ctx("iam:GetUser", { "aws:MultiFactorAuthPresent": "false" }))).toBe(true);
    const nul = doc({ Effect: "Deny", Action: "*", Resource: "*", Condition: { Null: { "aws:TokenIssueTime": "true" } } });
    expect(explicitlyDenied([nul], [], ctx("iam:GetUser", {}))).toBe(true);
    expect(explicitlyDenied([nul], [], ctx("iam:GetUser", { "aws:TokenIssueTime": "2026-01-01T00:00:00Z" }))).toBe(false);
    const u = doc({ Effect: "Deny", Action: "*", Resource: "*", Condition: { IpAddressMaybe: { "aws:SourceIp": "0.0.0.0/0" } } });
    expect(explicitlyDenied([u], [], ctx("iam:GetUser", { "aws:SourceIp": "127.0.0.1" }))).toBe(false);
  });

  it("knows AWS's quarantine policies by ARN", () => {
    const q = ["arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2"];
    expect(explicitlyDenied([], q, ctx("iam:CreateAccessKey"))).toBe(true);
    expect(explicitlyDenied([], q, ctx("iam:UpdateAccessKey"))).toBe(true);
    expect(explicitlyDenied([], q, ctx("iam:ListAccessKeys"))).toBe(false);
    expect(explicitlyDenied([], ["arn:aws:iam::aws:policy/ReadOnlyAccess"], ctx("iam:CreateAccessKey"))).toBe(false);
  });

  it("validates documents like PutUserPolicy", () => {
    expect(policyDocumentError("nope")).toBe("Syntax errors in policy.");
    expect(policyDocumentError(JSON.stringify({ Statement: [{ Effect: "Maybe", Action: "*", Resource: "*" }] }))).toBeDefined();
    expect(policyDocumentError(doc({ Effect: "Deny", Action: "*", Resource: "*" }))).toBeUndefined();
  });
});
