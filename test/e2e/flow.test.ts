import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactKeyId } from "../../src/detect/index.js";
import { eventually, keyWorks, startHarness, type Harness } from "../helpers/e2e.js";

// The walking skeleton, end to end over real HTTP: a push with a leaked key, containment, the
// issue, a refused /rotate, the rotation, and the leak of nothing.
describe("push → contained → issue → /rotate → rotated", () => {
  let h: Harness;
  let leaked: { accessKeyId: string; secretAccessKey: string };
  let issueNumber: number;

  beforeAll(async () => {
    h = await startHarness();
    leaked = h.world.aws.createAccessKey(h.world.workloadAccount, h.world.deployUser);
  });
  afterAll(async () => h?.close());

  it("contains a key pushed to the repository and opens one issue about it", async () => {
    const { github, aws, org, repo } = h.world;
    expect(await keyWorks(aws.url, leaked.accessKeyId, leaked.secretAccessKey)).toBe(true);
    await github.push(org, repo, {
      branch: "main",
      pusher: "dave",
      commits: [
        { message: "settings", files: { "deploy/.env": `AWS_ACCESS_KEY_ID=${leaked.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${leaked.secretAccessKey}\n` } },
      ],
    });
    const issue = await eventually(() => github.issues(org, repo)[0]);
    issueNumber = issue.number;
    expect(aws.key(leaked.accessKeyId)?.status).toBe("Inactive");
    expect(await keyWorks(aws.url, leaked.accessKeyId, leaked.secretAccessKey)).toBe(false);
    expect(issue.state).toBe("open");
    expect(issue.labels).toContain("keyfence");
    expect(issue.title).toContain(redactKeyId(leaked.accessKeyId));
    expect(issue.body).toContain("deploy/.env");
    expect(issue.body).toContain(h.world.workloadAccount);
    expect(issue.body).toContain(h.world.deployUser);
    expect(issue.body).toMatch(/Inactive/);
    // Containment happened before the issue was opened.
    const calls = aws.calls.filter((c) => c.action === "UpdateAccessKey" && c.ok);
    expect(calls).toHaveLength(1);
  });

  it("does nothing twice when GitHub redelivers the push", async () => {
    const { github, aws, org, repo } = h.world;
    const push = github.deliveries.find((d) => d.event === "push")!;
    expect(await github.redeliver(push.id)).toBe(200);
    await h.app.waitForLog((r) => r.msg === "webhook already handled" && r.delivery === push.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(github.issues(org, repo)).toHaveLength(1);
    expect(aws.calls.filter((c) => c.action === "UpdateAccessKey")).toHaveLength(1);
  });

  it("refuses /rotate from a user with only write, and says why", async () => {
    const { github, aws, org, repo } = h.world;
    await github.comment(org, repo, issueNumber, "bob", "/rotate");
    const reply = await eventually(() => github.issues(org, repo)[0].comments.find((c) => c.body.includes("@bob")));
    expect(reply.body).toMatch(/maintain or admin/);
    expect(aws.calls.some((c) => c.action === "CreateAccessKey")).toBe(false);
    expect(aws.key(leaked.accessKeyId)).toBeDefined();
  });

  it("rotates on /rotate from an admin: new key delivered and working, leaked key deleted, issue closed", async () => {
    const { github, aws, org, repo } = h.world;
    await github.comment(org, repo, issueNumber, "alice", "/rotate");
    await eventually(() => github.issues(org, repo)[0].state === "closed", 30_000);
    const newId = github.actionsSecret(org, repo, "AWS_ACCESS_KEY_ID")!;
    const newSecret = github.actionsSecret(org, repo, "AWS_SECRET_ACCESS_KEY")!;
    expect(newId).toMatch(/^AKIA/);
    expect(newId).not.toBe(leaked.accessKeyId);
    expect(aws.key(newId)?.status).toBe("Active");
    expect(await keyWorks(aws.url, newId, newSecret)).toBe(true);
    expect(aws.key(leaked.accessKeyId)).toBeUndefined();
    expect(aws.keysOf(h.world.workloadAccount, h.world.deployUser).map((k) => k.accessKeyId)).toEqual([newId]);
    const issue = github.issues(org, repo)[0];
    expect(issue.comments.at(-1)!.body).toContain(redactKeyId(newId));
  });

  it("leaks no secret and no full key ID anywhere: logs, database, issues, comments, checks", async () => {
    const newId = h.world.github.actionsSecret(h.world.org, h.world.repo, "AWS_ACCESS_KEY_ID")!;
    const newSecret = h.world.github.actionsSecret(h.world.org, h.world.repo, "AWS_SECRET_ACCESS_KEY")!;
    const all = h.everything();
    expect(all.length).toBeGreaterThan(1000);
    for (const secret of [leaked.secretAccessKey, newSecret]) expect(all).not.toContain(secret);
    const visible = h.githubText();
    for (const id of [leaked.accessKeyId, newId]) {
      expect(visible).not.toContain(id);
      expect(visible).toContain(redactKeyId(id));
    }
  });
});
