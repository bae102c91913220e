import { generateKeyPairSync, randomBytes } from "node:crypto";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { startAwsSim, type AwsSim } from "./aws/index.js";
import { startGitHubSim, type GitHubSim } from "./github/index.js";

/**
 * A small world for the demo and the end-to-end tests: a GitHub with one organization, one
 * repository and keyfence installed on it, and an AWS with keyfence's own account and one
 * workload account where a deploy user's key is about to leak.
 */
export interface World {
  github: GitHubSim;
  aws: AwsSim;
  org: string;
  repo: string;
  appId: number;
  installationId: number;
  privateKeyPem: string;
  webhookSecret: string;
  securityAccount: string;
  workloadAccount: string;
  foreignAccount: string;
  deployUser: string;
  /** Environment that points keyfence at these simulators. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startWorld(opts: { latencyMs?: number; githubPort?: number; awsPort?: number } = {}): Promise<World> {
  const github = await startGitHubSim({ port: opts.githubPort, latencyMs: opts.latencyMs });
  const aws = await startAwsSim({ port: opts.awsPort, latencyMs: opts.latencyMs });

  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const webhookSecret = randomBytes(20).toString("hex");
  const appId = 4242;
  const installationId = 77;
  const org = "acme";
  const repo = "payments";

  github.addApp({ appId, slug: "keyfence", publicKeyPem, webhookSecret, owner: org });
  github.addUser(org);
  for (const u of ["alice", "bob", "carol", "dave"]) github.addUser(u);
  github.addInstallation({ id: installationId, account: org, accountType: "Organization" });
  await github.addRepo(org, repo);
  github.setCollaborator(org, repo, "alice", "admin");
  github.setCollaborator(org, repo, "bob", "write");
  github.setCollaborator(org, repo, "carol", "maintain");
  github.setCollaborator(org, repo, "dave", "write");

  const securityAccount = "111122223333";
  const workloadAccount = "444455556666";
  const foreignAccount = "777788889999";
  const deployUser = "deploy-bot";
  for (const a of [securityAccount, workloadAccount, foreignAccount]) aws.addAccount(a);
  aws.addUser(securityAccount, "keyfence");
  const own = aws.createAccessKey(securityAccount, "keyfence");
  aws.addRole(workloadAccount, "keyfence", { trustedAccountIds: [securityAccount] });
  aws.addUser(workloadAccount, deployUser);
  aws.addUser(foreignAccount, "someone");

  const env: Record<string, string> = {
    APP_ID: String(appId),
    PRIVATE_KEY: privateKeyPem,
    WEBHOOK_SECRET: webhookSecret,
    GHE_HOST: github.host,
    GHE_PROTOCOL: "http",
    AWS_ACCESS_KEY_ID: own.accessKeyId,
    AWS_SECRET_ACCESS_KEY: own.secretAccessKey,
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL_IAM: aws.url,
    AWS_ENDPOINT_URL_STS: aws.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
    KEYFENCE_AWS_ROLE: "keyfence",
    KEYFENCE_AWS_ACCOUNTS: workloadAccount,
  };

  return {
    github,
    aws,
    org,
    repo,
    appId,
    installationId,
    privateKeyPem,
    webhookSecret,
    securityAccount,
    workloadAccount,
    foreignAccount,
    deployUser,
    env,
    async close() {
      await github.close();
      await aws.close();
    },
  };
}

/** Whether a key authenticates to the AWS simulator (sts:GetCallerIdentity signed with it, no retry). */
export async function keyWorks(endpoint: string, accessKeyId: string, secretAccessKey: string): Promise<boolean> {
  const sts = new STSClient({ region: "us-east-1", endpoint, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  try {
    await sts.send(new GetCallerIdentityCommand({}));
    return true;
  } catch {
    return false;
  } finally {
    sts.destroy();
  }
}
