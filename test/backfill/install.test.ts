import { randomUUID } from "node:crypto";
import SQLite from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactKeyId } from "../../src/detect/index.js";
import { sign } from "../../src/sim/github/webhooks.js";
import { eventually, startHarness, type Harness } from "../helpers/e2e.js";

// keyfence installed on an organization that already has history: repositories whose settings say
// `backfill: { on_install: true }` are backfilled by the app itself, the others are left alone.
describe("backfill on install (installation.created webhook)", () => {
  let h: Harness;
  let key: { accessKeyId: string; secretAccessKey: string };
  let other: { accessKeyId: string; secretAccessKey: string };

  beforeAll(async () => {
    h = await startHarness();
    const { github, aws, org } = h.world;
    // The history predates the app: no webhook while it is written.
    github.setWebhookUrl("");
    key = aws.createAccessKey(h.world.workloadAccount, h.world.deployUser);
    aws.addUser(h.world.workloadAccount, "other-bot");
    other = aws.createAccessKey(h.world.workloadAccount, "other-bot");
    await github.addRepo(org, "legacy", { private: true });
    github.setCollaborator(org, "legacy", "dave", "write");
    const cred = (k: typeof key) => `aws_access_key_id = ${k.accessKeyId}\naws_secret_access_key = ${k.secretAccessKey}\n`;
    await github.push(org, h.world.repo, {
      branch: "main",
      pusher: "dave",
      commits: [
        { message: "old settings", files: { "old/.env": cred(key) } },
        { message: "remove", files: { "old/.env": null } },
      ],
    });
    await github.setFile(org, h.world.repo, ".github/keyfence.yml", "backfill:\n  on_install: true\n");
    await github.push(org, "legacy", { branch: "main", pusher: "dave", commits: [{ message: "creds", files: { "creds.txt": cred(other) } }] });
    github.setWebhookUrl(`${h.app.url}/api/github/webhooks`);
  }, 60_000);
  afterAll(async () => h?.close());

  it("backfills the repositories that opted in, contains what it finds and opens the issue", async () => {
    const { github, aws, org, repo } = h.world;
    const payload = {
      action: "created",
      installation: { id: h.world.installationId, account: { login: org, type: "Organization" }, app_id: h.world.appId },
      repositories: [
        { id: 1, name: repo, full_name: `${org}/${repo}`, private: false },
        { id: 2, name: "legacy", full_name: `${org}/legacy`, private: true },
      ],
      sender: { login: "alice", type: "User" },
    };
    const body = JSON.stringify(payload);
    const res = await fetch(`${h.app.url}/api/github/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "installation",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": sign(h.world.webhookSecret, body),
      },
      body,
    });
    expect(res.status).toBe(200);
    const issue = await eventually(() => github.issues(org, repo)[0], 40_000);
    expect(issue.title).toContain(redactKeyId(key.accessKeyId));
    expect(issue.body).toContain("old/.env");
    expect(aws.key(key.accessKeyId)?.status).toBe("Inactive");
    // The repository that did not opt in: untouched.
    expect(github.issues(org, "legacy")).toHaveLength(0);
    expect(aws.key(other.accessKeyId)?.status).toBe("Active");
    const rows = () => {
      const db = new SQLite(h.dbPath, { readonly: true });
      try {
        return db.prepare("select repo, state from backfill_repos").all() as Array<{ repo: string; state: string }>;
      } finally {
        db.close();
      }
    };
    await eventually(() => rows()[0]?.state === "done");
    expect(rows()).toEqual([{ repo: `${org}/${repo}`, state: "done" }]);
  }, 60_000);
});
