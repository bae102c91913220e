import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactKeyId } from "../../src/detect/index.js";
import { eventually, keyWorks, startHarness, type Harness } from "../helpers/e2e.js";

// `/rotate` and its siblings, each command and each refusal, over the simulators.
describe("commands on keyfence's issues", () => {
  let h: Harness;
  let users = 0;

  /** A fresh user with a key, pushed to the repository: returns the key and its issue's number. */
  async function leak(opts: { secondKey?: boolean } = {}) {
    const { aws, github, org, repo, workloadAccount } = h.world;
    const user = `rot-${++users}`;
    aws.addUser(workloadAccount, user);
    const k = aws.createAccessKey(workloadAccount, user);
    const other = opts.secondKey ? aws.createAccessKey(workloadAccount, user) : undefined;
    await github.push(org, repo, {
      branch: "main",
      pusher: "dave",
      commits: [{ message: `add ${user}`, files: { [`deploy/${user}.env`]: `AWS_ACCESS_KEY_ID=${k.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${k.secretAccessKey}\n` } }],
    });
    const issue = await eventually(() => github.issues(org, repo).find((i) => i.title.includes(redactKeyId(k.accessKeyId))));
    await eventually(() => aws.key(k.accessKeyId)?.status === "Inactive");
    return { user, key: k, other, issue: issue.number };
  }
  const issue = (n: number) => h.world.github.issues(h.world.org, h.world.repo).find((i) => i.number === n)!;
  const say = (n: number, who: string, body: string) => h.world.github.comment(h.world.org, h.world.repo, n, who, body);
  const replyTo = (n: number, who: string, match: RegExp) =>
    eventually(() => issue(n).comments.find((c) => c.user !== who && c.body.includes(`@${who}`) && match.test(c.body)));
  /** Settings change the way they do on GitHub: by a push, which keyfence sees. */
  const pushSettings = async (yml: string) => {
    const { after } = await h.world.github.push(h.world.org, h.world.repo, {
      branch: "main",
      pusher: "alice",
      commits: [{ message: "keyfence settings", files: { ".github/keyfence.yml": yml } }],
    });
    await eventually(() => h.world.github.checkRuns(h.world.org, h.world.repo).find((c) => c.head_sha === after));
  };
  const creates = () => h.world.aws.calls.filter((c) => c.action === "CreateAccessKey").length;

  beforeAll(async () => {
    h = await startHarness();
    const { github, org, repo } = h.world;
    github.addUser("tina");
    github.addUser("rita");
    github.addUser("otto");
    github.setCollaborator(org, repo, "tina", "triage");
    github.setCollaborator(org, repo, "rita", "read");
  });
  afterAll(async () => h?.close());

  it("refuses triage, read and outside users, and says why; nothing changes", async () => {
    const { issue: n, key } = await leak();
    const before = creates();
    for (const [who, role] of [["tina", "triage"], ["rita", "read"], ["otto", "read"], ["bob", "write"]]) {
      await say(n, who, "/rotate");
      const r = await replyTo(n, who, /needs the maintain or admin role/);
      expect(r.body).toContain(`yours is ${role}`);
    }
    expect(creates()).toBe(before);
    expect(h.world.aws.key(key.accessKeyId)?.status).toBe("Inactive");
    expect(issue(n).state).toBe("open");
  });

  it("ignores bots and edited comments, and answers on issues keyfence did not open", async () => {
    const { github, org, repo } = h.world;
    const { issue: n } = await leak();
    github.addUser("ci-bot[bot]", { type: "Bot" });
    github.setCollaborator(org, repo, "ci-bot[bot]", "admin");
    const before = creates();
    const c = await say(n, "bob", "hello");
    await github.editComment(org, repo, c.id, "bob", "/rotate");
    await say(n, "ci-bot[bot]", "/rotate");
    // A later, answered command proves the two above were processed (in order) and ignored.
    await say(n, "tina", "/rotate");
    await replyTo(n, "tina", /needs/);
    expect(issue(n).comments.some((x) => x.body.includes("@ci-bot") || x.body.includes("@bob"))).toBe(false);
    expect(creates()).toBe(before);

    const res = await fetch(`${github.apiUrl}/repos/${org}/${repo}/issues`, {
      method: "POST",
      headers: { authorization: `token ${github.userToken("alice")}`, "content-type": "application/json" },
      body: JSON.stringify({ title: "unrelated" }),
    });
    const other = (await res.json()) as { number: number };
    await say(other.number, "alice", "/rotate");
    const r = await replyTo(other.number, "alice", /only works on an issue keyfence opened/);
    expect(r).toBeTruthy();
  });

  it("--dry-run says what would happen, in which account, to which user, into which destinations", async () => {
    const { issue: n, user, key } = await leak();
    const before = creates();
    await say(n, "carol", "/rotate --dry-run");
    const r = await replyTo(n, "carol", /would/);
    expect(r.body).toContain(h.world.workloadAccount);
    expect(r.body).toContain(user);
    expect(r.body).toMatch(/AWS\\?_ACCESS\\?_KEY\\?_ID/);
    expect(r.body).toMatch(/Nothing was changed/);
    expect(creates()).toBe(before);
    expect(h.world.aws.key(key.accessKeyId)?.status).toBe("Inactive");
  });

  it("/reactivate is for admins, needs a reason, and is recorded loudly", async () => {
    const { issue: n, key } = await leak();
    await say(n, "carol", "/reactivate outage");
    await replyTo(n, "carol", /needs the admin role/);
    await say(n, "alice", "/reactivate");
    await replyTo(n, "alice", /needs a reason/);
    expect(h.world.aws.key(key.accessKeyId)?.status).toBe("Inactive");
    await say(n, "alice", "/reactivate prod outage, rotating tonight");
    const r = await replyTo(n, "alice", /Active again/);
    expect(r.body).toContain("prod outage");
    expect(h.world.aws.key(key.accessKeyId)?.status).toBe("Active");
  });

  it("/ignore refuses a live Active key, and closes the issue for an inactive one", async () => {
    const { issue: n } = await leak();
    await say(n, "carol", "/ignore it was a test key");
    await eventually(() => issue(n).state === "closed");
    expect(issue(n).comments.at(-1)!.body).toMatch(/ignored/);

    const second = await leak();
    await say(second.issue, "alice", "/reactivate need it for an hour");
    await replyTo(second.issue, "alice", /Active again/);
    await say(second.issue, "carol", "/ignore test key");
    await replyTo(second.issue, "carol", /a live key cannot be ignored/);
    expect(issue(second.issue).state).toBe("open");
  });

  it("rotates once when asked twice, deletes the leaked key first when the user has two, and notes AWS's quarantine", async () => {
    const { aws, github, org, repo, workloadAccount } = h.world;
    const { issue: n, key, other, user } = await leak({ secondKey: true });
    aws.attachUserPolicy(workloadAccount, user, "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2");
    const before = creates();
    await say(n, "alice", "/rotate");
    await say(n, "carol", "/rotate");
    await eventually(() => issue(n).state === "closed", 120_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(issue(n).comments.map((c) => c.body.slice(0, 160)))}`);
    });
    // Whichever of the two asked second is told a rotation is under way.
    await eventually(() => issue(n).comments.find((c) => /^@(alice|carol) a rotation of this key is already under way/.test(c.body)));
    expect(creates() - before).toBe(1);
    const ids = aws.keysOf(workloadAccount, user).map((k) => k.accessKeyId);
    expect(ids).toHaveLength(2);
    expect(ids).toContain(other!.accessKeyId);
    expect(ids).not.toContain(key.accessKeyId);
    const newId = ids.find((id) => id !== other!.accessKeyId)!;
    expect(github.actionsSecret(org, repo, "AWS_ACCESS_KEY_ID")).toBe(newId);
    expect(await keyWorks(aws.url, newId, github.actionsSecret(org, repo, "AWS_SECRET_ACCESS_KEY")!)).toBe(true);
    const done = issue(n).comments.find((c) => c.body.includes("Rotation finished"))!;
    expect(done.body).toMatch(/quarantine/);
    expect(issue(n).reactions).toContain("eyes");
  });

  it("delivers to an environment's secrets and to Secrets Manager when .github/keyfence.yml says so", async () => {
    const { aws, github, org, repo, workloadAccount } = h.world;
    // The account's own admin creates the secret keyfence will write to.
    aws.addUser(workloadAccount, "admin");
    const admin = aws.createAccessKey(workloadAccount, "admin");
    const sm = new SecretsManagerClient({
      region: "us-east-1",
      endpoint: aws.url,
      credentials: { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey },
    });
    await sm.send(new CreateSecretCommand({ Name: "prod/deploy", SecretString: "{}" }));
    sm.destroy();
    const env = await fetch(`${github.apiUrl}/repos/${org}/${repo}/environments/production`, {
      method: "PUT",
      headers: { authorization: `token ${github.userToken("alice")}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(env.status).toBe(200);
    await pushSettings(
      "rotate:\n  destinations:\n    - actions: { environment: production, id: DEPLOY_KEY_ID, secret: DEPLOY_SECRET }\n    - secretsmanager: { secret_id: prod/deploy }\n",
    );
    const { issue: n, user, key } = await leak();
    await say(n, "carol", "/rotate");
    await eventually(() => issue(n).state === "closed", 60_000);
    const newId = aws.keysOf(workloadAccount, user)[0].accessKeyId;
    expect(newId).not.toBe(key.accessKeyId);
    expect(github.actionsSecret(org, repo, "DEPLOY_KEY_ID", "production")).toBe(newId);
    const secret = github.actionsSecret(org, repo, "DEPLOY_SECRET", "production")!;
    expect(await keyWorks(aws.url, newId, secret)).toBe(true);
    const stored = JSON.parse(aws.secretValue(workloadAccount, "prod/deploy")!);
    expect(stored).toEqual({ AWS_ACCESS_KEY_ID: newId, AWS_SECRET_ACCESS_KEY: secret });
    await pushSettings("mode: contain\n");
  });

  it("stops cleanly on LimitExceeded, leaves no undelivered key, and can be asked again", async () => {
    const { aws, workloadAccount } = h.world;
    const { issue: n, user, key } = await leak();
    aws.fail({ service: "iam", action: "CreateAccessKey", code: "LimitExceeded", status: 409, message: "Cannot exceed quota for AccessKeysPerUser: 2" });
    await say(n, "alice", "/rotate");
    const stop = await eventually(() => issue(n).comments.find((c) => c.body.includes("stopped")));
    expect(stop.body).toMatch(/LimitExceeded|quota/);
    expect(aws.keysOf(workloadAccount, user).map((k) => k.accessKeyId)).toEqual([key.accessKeyId]);
    await say(n, "alice", "/rotate");
    await eventually(() => issue(n).state === "closed", 60_000);
    expect(aws.keysOf(workloadAccount, user).map((k) => k.accessKeyId)).not.toContain(key.accessKeyId);
  });

  it("wrote no secret anywhere", () => {
    const all = h.everything();
    const secrets = h.world.github.issues(h.world.org, h.world.repo).length; // at least one issue per test
    expect(secrets).toBeGreaterThan(5);
    for (const name of ["AWS_SECRET_ACCESS_KEY", "DEPLOY_SECRET"]) {
      const value = h.world.github.actionsSecret(h.world.org, h.world.repo, name) ?? h.world.github.actionsSecret(h.world.org, h.world.repo, name, "production");
      expect(value).toBeTruthy();
      expect(all).not.toContain(value!);
    }
  });
});
