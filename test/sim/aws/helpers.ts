import { IAMClient } from "@aws-sdk/client-iam";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { STSClient } from "@aws-sdk/client-sts";
import type { AwsSim } from "../../../src/sim/aws/index.js";

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Real SDK clients pointed at the simulator. maxAttempts 1 so injected retryable faults surface at once. */
export function clients(sim: AwsSim, credentials: Creds, opts: { maxAttempts?: number } = {}) {
  const common = { region: "us-east-1", endpoint: sim.url, credentials, maxAttempts: opts.maxAttempts ?? 1 };
  return { iam: new IAMClient(common), sts: new STSClient(common), sm: new SecretsManagerClient(common) };
}

export function fromStsCredentials(c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } | undefined): Creds {
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error("no credentials");
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

/** The rejection of a promise (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string; $metadata?: { httpStatusCode?: number }; Code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as never;
  }
  throw new Error("expected the call to fail");
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** keyfence's revocation policy shape: deny everything to credentials issued before `before`. */
export function revokeOlderSessions(before: Date): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Deny",
        Action: "*",
        Resource: "*",
        Condition: { DateLessThan: { "aws:TokenIssueTime": before.toISOString() } },
      },
    ],
  });
}
