import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactKeyId } from "../../src/detect/index.js";
import { eventually, keyWorks, startHarness, type Harness } from "../helpers/e2e.js";

// The rotation is a persisted state machine: kill keyfence (SIGKILL) at each of its steps, start
// it again, and the rotation must end with exactly one active key, delivered, the leaked one gone.
describe("a rotation killed at every step", () => {
  let h: Harness;
  let users = 0;
  const secrets: string[] = [];

  beforeAll(async () => {
    // A short job timeout, so that the restarted process takes the dead one's job over quickly.
    h = await startHarness({ KEYFENCE_JOB_TIMEOUT: "3", KEYFENCE_JOB_ATTEMPTS: "3", KEYFENCE_ROTATION_STALE_SECONDS: "2" });
  });
  afterAll(async () => h?.close());

  /** A fresh user's key pushed to the repository, contained, its issue open. */
  async function leakContained() {
    const { aws, github, org, repo, workloadAccount } = h.world;
    const user = `crash-${++users}`;
    aws.addUser(workloadAccount, user);
    const leaked = aws.createAccessKey(workloadAccount, user);
    secrets.push(leaked.secretAccessKey);
    await github.push(org, repo, {
      branch: "main",
      pusher: "dave",
      commits: [{ message: user, files: { [`${user}.env`]: `AWS_ACCESS_KEY_ID=${leaked.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${leaked.secretAccessKey}\n` } }],
    });
    const issue = await eventually(() => github.issues(org, repo).find((i) => i.title.includes(redactKeyId(leaked.accessKeyId))));
    await eventually(() => aws.key(leaked.accessKeyId)?.status === "Inactive");
    return { user, leaked, issue };
  }

  const points: Array<[string, (since: number) => boolean]> = [
    ["while reading the user's keys", (since) => h.world.aws.calls.slice(since).some((c) => c.action === "ListAccessKeys")],
    ["right after the new key was created", (since) => h.world.aws.calls.slice(since).some((c) => c.action === "CreateAccessKey" && c.ok)],
    ["between the two secrets being written", (since) => h.world.github.requests.slice(since).some((r) => r.method === "PUT" && r.path.includes("/actions/secrets/"))],
    ["right after the leaked key was deleted", (since) => h.world.aws.calls.slice(since).some((c) => c.action === "DeleteAccessKey" && c.ok)],
  ];

  for (const [where, reached] of points) {
    it(`recovers when killed ${where}`, async () => {
      const { aws, github, org, repo, workloadAccount } = h.world;
      const { user, leaked, issue } = await leakContained();

      const awsSince = aws.calls.length;
      const ghSince = github.requests.length;
      await github.comment(org, repo, issue.number, "alice", "/rotate");
      await eventually(() => reached(where.includes("secrets") ? ghSince : awsSince), 60_000);
      await h.restart();

      await eventually(() => github.issues(org, repo).find((i) => i.number === issue.number)?.state === "closed", 90_000);
      const keys = aws.keysOf(workloadAccount, user);
      expect(keys.map((k) => k.status)).toEqual(["Active"]);
      const [only] = keys;
      expect(only.accessKeyId).not.toBe(leaked.accessKeyId);
      expect(aws.key(leaked.accessKeyId)).toBeUndefined();
      expect(github.actionsSecret(org, repo, "AWS_ACCESS_KEY_ID")).toBe(only.accessKeyId);
      const secret = github.actionsSecret(org, repo, "AWS_SECRET_ACCESS_KEY")!;
      secrets.push(secret);
      expect(await keyWorks(aws.url, only.accessKeyId, secret)).toBe(true);
      const created = aws.calls.slice(awsSince).filter((c) => c.action === "CreateAccessKey" && c.ok).length;
      // Killed holding a secret it had not delivered: that key was deleted and another one made.
      if (where.includes("created") || where.includes("secrets")) expect(created).toBe(2);
      else expect(created).toBe(1);
      const done = github.issues(org, repo).find((i) => i.number === issue.number)!.comments.filter((c) => c.body.startsWith("Rotation finished"));
      expect(done).toHaveLength(1);
    });
  }

  it("resumes, on a new /rotate, a rotation whose job ran out of retries", async () => {
    const { aws, github, org, repo, workloadAccount } = h.world;
    const { user, leaked, issue } = await leakContained();
    // IAM fails for longer than the job's three attempts.
    aws.fail({ service: "iam", action: "CreateAccessKey", code: "ServiceFailure", status: 500, times: 3 });
    await github.comment(org, repo, issue.number, "alice", "/rotate");
    await eventually(() => h.app.records().some((r) => r.msg === "job failed" && r.type === "rotate" && r.dead === true), 60_000);
    expect(aws.keysOf(workloadAccount, user).map((k) => k.accessKeyId)).toEqual([leaked.accessKeyId]);
    await new Promise((r) => setTimeout(r, 2100));
    await github.comment(org, repo, issue.number, "carol", "/rotate");
    await eventually(() => github.issues(org, repo).find((i) => i.number === issue.number)?.state === "closed", 60_000);
    const comments = github.issues(org, repo).find((i) => i.number === issue.number)!.comments;
    expect(comments.some((c) => c.body.includes("resuming the rotation"))).toBe(true);
    const keys = aws.keysOf(workloadAccount, user);
    expect(keys).toHaveLength(1);
    expect(keys[0].accessKeyId).not.toBe(leaked.accessKeyId);
    expect(github.actionsSecret(org, repo, "AWS_ACCESS_KEY_ID")).toBe(keys[0].accessKeyId);
  });

  it("wrote no secret anywhere, across all the processes", () => {
    const all = h.everything();
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    for (const s of secrets) expect(all).not.toContain(s);
  });
});
