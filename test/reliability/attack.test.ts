import { createHmac, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactKeyId } from "../../src/detect/index.js";
import { envFile, eventually, expectInvariants, expectNoSecret, newKey, settle, startRig, type Rig } from "./harness.js";

// keyfence can disable and create credentials: it must not be tricked into misusing that power.
describe("attacks", () => {
  let rig: Rig;
  const leaked: ReturnType<typeof newKey>[] = [];
  const secrets: string[] = [];
  const sign = (body: string, secret = rig.world.webhookSecret) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${rig.app!.url}/api/github/webhooks`, { method: "POST", headers: { "content-type": "application/json", "x-github-event": "push", ...headers }, body });
  const count = (table: string) => rig.query<{ n: number }>(`select count(*) as n from ${table}`)[0]!.n;
  const issues = (repo: string, owner = rig.world.org) => rig.world.github.issues(owner, repo);
  const creates = () => rig.world.aws.calls.filter((c) => c.action === "CreateAccessKey").length;

  beforeAll(async () => {
    // No KEYFENCE_ROTATE_OWNERS: by default new keys go only into repositories of the app's own account (acme).
    rig = await startRig({ KEYFENCE_RECONCILE: "off" });
    const { github } = rig.world;
    github.addUser("mallory");
    github.addInstallation({ id: 78, account: "mallory", accountType: "User" });
    await github.addRepo("mallory", "evil");
    await rig.addRepo("sandbox");
    github.setCollaborator(rig.world.org, "sandbox", "bob", "admin");
  });
  afterAll(async () => rig?.close());

  it("rejects webhooks with a missing, wrong or replayed signature, with no side effect", async () => {
    const { github, org, repo } = rig.world;
    const k = newKey(rig, "sig");
    leaked.push(k);
    await github.push(org, repo, { branch: "main", pusher: "dave", commits: [{ message: "leak", files: { "a.env": envFile(k) } }] });
    await eventually(() => issues(repo).some((i) => i.title.includes(redactKeyId(k.accessKeyId))));
    await settle(rig);
    const real = github.deliveries.find((d) => d.event === "push")!;
    const [deliveries, jobs, issueCount, awsCalls, ghRequests] = [count("deliveries"), count("jobs"), issues(repo).length, rig.world.aws.calls.length, github.requests.length];

    // A crafted push naming a different commit, unsigned, wrongly signed, signed with another secret,
    // or carrying the signature of the genuine delivery (a replay with a changed body).
    const forged = JSON.stringify({ ...(real.payload as object), after: "f".repeat(40), commits: [] });
    const statuses = [
      (await post(forged, { "x-github-delivery": randomUUID() })).status,
      (await post(forged, { "x-github-delivery": randomUUID(), "x-hub-signature-256": "sha256=" + "0".repeat(64) })).status,
      (await post(forged, { "x-github-delivery": randomUUID(), "x-hub-signature-256": sign(forged, "not-the-secret") })).status,
      (await post(forged, { "x-github-delivery": randomUUID(), "x-hub-signature-256": sign(real.body) })).status,
      (await post(forged, { "x-github-delivery": randomUUID(), "x-hub-signature-256": "sha1=" + createHmac("sha1", rig.world.webhookSecret).update(forged).digest("hex") })).status,
    ];
    for (const s of statuses) expect(s).toBeGreaterThanOrEqual(400);
    // The genuine delivery replayed byte for byte (same GUID) is accepted and does nothing.
    const replay = await post(real.body, { "x-github-delivery": real.guid, "x-hub-signature-256": sign(real.body) });
    expect(replay.status).toBe(200);
    await rig.app!.waitForLog((r) => r.msg === "webhook already handled" && r.delivery === real.guid);
    await settle(rig);
    expect([count("deliveries"), count("jobs"), issues(repo).length]).toEqual([deliveries, jobs, issueCount]);
    expect(rig.world.aws.calls.length).toBe(awsCalls);
    // keyfence called GitHub for none of them.
    expect(github.requests.length).toBe(ghRequests);
  });

  it("refuses a command on another repository's issue of the same number", async () => {
    const { github, org } = rig.world;
    const k = newKey(rig, "other");
    leaked.push(k);
    await github.push(org, rig.world.repo, { branch: "main", pusher: "dave", commits: [{ message: "leak2", files: { "b.env": envFile(k) } }] });
    const mine = await eventually(() => issues(rig.world.repo).find((i) => i.title.includes(redactKeyId(k.accessKeyId))));
    // bob is admin of sandbox: he opens issues there until one has the number of keyfence's issue.
    let n = 0;
    while (n < mine.number) {
      const res = await fetch(`${github.apiUrl}/repos/${org}/sandbox/issues`, {
        method: "POST",
        headers: { authorization: `token ${github.userToken("bob")}`, "content-type": "application/json" },
        body: JSON.stringify({ title: `about ${redactKeyId(k.accessKeyId)}`, body: mine.body }),
      });
      n = ((await res.json()) as { number: number }).number;
    }
    const before = creates();
    await github.comment(org, "sandbox", mine.number, "bob", "/rotate");
    await github.comment(org, "sandbox", mine.number, "bob", "/reactivate I need it");
    const replies = await eventually(() => {
      const c = issues("sandbox").find((i) => i.number === mine.number)!.comments.filter((x) => x.body.includes("only works on an issue keyfence opened"));
      return c.length === 2 ? c : undefined;
    });
    expect(replies).toHaveLength(2);
    await settle(rig);
    expect(creates()).toBe(before);
    expect(rig.world.aws.key(k.accessKeyId)?.status).toBe("Inactive");
  });

  it("an outsider pushing a managed account's key to their own repository: contained, never rotated into their secrets", async () => {
    const { github, aws } = rig.world;
    const k = newKey(rig, "stolen");
    leaked.push(k);
    // mallory installed keyfence on her own account and pushes acme's key there.
    await github.push("mallory", "evil", { branch: "main", pusher: "mallory", commits: [{ message: "look", files: { "stolen.env": envFile(k) } }] });
    await eventually(() => aws.key(k.accessKeyId)?.status === "Inactive"); // containment is always safe
    const issue = await eventually(() => issues("evil", "mallory").find((i) => i.title.includes(redactKeyId(k.accessKeyId))));
    const before = creates();
    await github.comment("mallory", "evil", issue.number, "mallory", "/rotate");
    const reply = await eventually(() => issues("evil", "mallory").find((i) => i.number === issue.number)!.comments.find((c) => c.body.includes("will not rotate")));
    expect(reply.body).toContain("@mallory");
    expect(reply.body).toMatch(/only into repositories of acme, the account that runs this keyfence app/);
    await settle(rig);
    expect(creates()).toBe(before);
    expect(github.actionsSecret("mallory", "evil", "AWS_SECRET_ACCESS_KEY")).toBeUndefined();
    expect(aws.keysOf(rig.world.workloadAccount, k.user).map((x) => x.accessKeyId)).toEqual([k.accessKeyId]);
    // The same key in acme's own repository is rotated there, as usual.
    await github.push(rig.world.org, rig.world.repo, { branch: "main", pusher: "dave", commits: [{ message: "same", files: { "c.env": envFile(k) } }] });
    const own = await eventually(() => issues(rig.world.repo).find((i) => i.title.includes(redactKeyId(k.accessKeyId))));
    await github.comment(rig.world.org, rig.world.repo, own.number, "alice", "/rotate");
    await eventually(() => issues(rig.world.repo).find((i) => i.number === own.number)!.state === "closed", 60_000);
    expect(creates()).toBe(before + 1);
    const delivered = github.actionsSecret(rig.world.org, rig.world.repo, "AWS_SECRET_ACCESS_KEY")!;
    secrets.push(delivered);
    expect(github.actionsSecret("mallory", "evil", "AWS_SECRET_ACCESS_KEY")).toBeUndefined();
  });

  it("a key of an account keyfence does not manage is reported, never touched", async () => {
    const { github, aws, foreignAccount } = rig.world;
    const f = aws.createAccessKey(foreignAccount, "someone");
    secrets.push(f.secretAccessKey);
    const mutations = () => aws.calls.filter((c) => /^(UpdateAccessKey|DeleteAccessKey|CreateAccessKey|PutUserPolicy)$/.test(c.action)).length;
    const before = mutations();
    await github.push("mallory", "evil", { branch: "main", pusher: "mallory", commits: [{ message: "foreign", files: { "f.env": envFile(f) } }] });
    const issue = await eventually(() => issues("evil", "mallory").find((i) => i.title.includes(redactKeyId(f.accessKeyId))));
    expect(issue.body).toMatch(/not one keyfence (may act in|is configured to act in)/);
    await settle(rig);
    expect(mutations()).toBe(before);
    expect(aws.key(f.accessKeyId)?.status).toBe("Active");
  });

  it("paths, branch names and commit messages cannot inject mentions, links or HTML into keyfence's issues", async () => {
    const { github, org } = rig.world;
    const k = newKey(rig, "inject");
    leaked.push(k);
    // (a git path cannot hold "//": the links in it are scheme-relative-free)
    const evilPath = "x/@alice [click](https:evil.example) <img src=x onerror=alert(1)> `` ` ``#1 ![i](evil.example).env";
    await github.push(org, rig.world.repo, {
      branch: "@acme/security-team/<img_src=x_onerror=alert>",
      pusher: "dave",
      commits: [{ message: "@alice please see [this](http://evil.example) <script>x</script>", files: { [evilPath]: envFile(k) } }],
    });
    const issue = await eventually(() => issues(rig.world.repo).find((i) => i.title.includes(redactKeyId(k.accessKeyId))));
    await settle(rig);
    const texts = [issue.title, issue.body, ...issue.comments.map((c) => c.body)];
    for (const t of texts) {
      // Outside code spans, nothing the pusher wrote may act as markdown.
      const outside = t.replace(/(`+)[\s\S]*?\1/g, "");
      expect(outside).not.toMatch(/@(alice|acme)\b/);
      expect(outside).not.toContain("evil.example");
      expect(outside).not.toMatch(/<img|<script/i);
    }
    expect(issue.body).toContain("@alice"); // it is there, but inside code
    const checks = github.checkRuns(org, rig.world.repo).map((c) => JSON.stringify(c.output ?? {}));
    for (const c of checks) expect(c).not.toMatch(/\]\(http:\/\/evil/);
  });

  it("ends with every invariant true and no secret written anywhere", async () => {
    await settle(rig);
    await expectInvariants(rig, leaked);
    expectNoSecret(rig.everything(), [...leaked.map((k) => k.secretAccessKey), ...secrets]);
  });
});
