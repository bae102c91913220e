import { GetSessionTokenCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactKeyId } from "../../src/detect/index.js";
import { eventually, startHarness, type Harness } from "../helpers/e2e.js";

// Every shape of push the issue names, each asserting the simulators' final state.
describe("push shapes", () => {
  let h: Harness;
  let users = 0;
  const secrets: string[] = [];
  const newKey = () => {
    const user = `svc-${++users}`;
    h.world.aws.addUser(h.world.workloadAccount, user);
    const k = h.world.aws.createAccessKey(h.world.workloadAccount, user);
    secrets.push(k.secretAccessKey);
    return { user, ...k };
  };
  const envFile = (k: { accessKeyId: string; secretAccessKey: string }) =>
    `AWS_ACCESS_KEY_ID=${k.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${k.secretAccessKey}\n`;
  const push = (branch: string, commits: Array<{ message: string; files: Record<string, string | Buffer | null> }>, extra = {}) =>
    h.world.github.push(h.world.org, h.world.repo, { branch, pusher: "dave", commits, ...extra });
  const checkOf = (sha: string) => eventually(() => h.world.github.checkRuns(h.world.org, h.world.repo).find((c) => c.head_sha === sha));
  const issuesAbout = (keyId: string) =>
    h.world.github.issues(h.world.org, h.world.repo).filter((i) => i.title.includes(redactKeyId(keyId)));
  const deactivations = () => h.world.aws.calls.filter((c) => c.action === "UpdateAccessKey" && c.ok).length;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it("scans all 30 commits of a long push, with git", async () => {
    const k = newKey();
    const commits = Array.from({ length: 30 }, (_, i) => ({
      message: `change ${i}`,
      files: { [`notes/n${i}.txt`]: i === 6 ? `temp\n${envFile(k)}` : `note ${i}\n` } as Record<string, string | null>,
    }));
    const { after } = await push("main", commits);
    const check = await checkOf(after);
    expect(check.conclusion).toBe("failure");
    expect(h.world.aws.key(k.accessKeyId)?.status).toBe("Inactive");
    expect(issuesAbout(k.accessKeyId)).toHaveLength(1);
    expect(issuesAbout(k.accessKeyId)[0].body).toContain("notes/n6.txt");
  });

  it("scans a commit touching 400 files", async () => {
    const k = newKey();
    const files: Record<string, string> = {};
    for (let i = 0; i < 400; i++) files[`gen/f${String(i).padStart(3, "0")}.txt`] = `line ${i}\n`;
    files["gen/f399.txt"] = envFile(k);
    const { after } = await push("main", [{ message: "generate", files }]);
    await checkOf(after);
    expect(h.world.aws.key(k.accessKeyId)?.status).toBe("Inactive");
    expect(issuesAbout(k.accessKeyId)[0].body).toContain("gen/f399.txt");
  });

  it("finds a key added in one commit and removed in the next", async () => {
    const k = newKey();
    const { after, shas } = await push("main", [
      { message: "add creds", files: { "app/creds.ini": `[default]\naws_access_key_id = ${k.accessKeyId}\naws_secret_access_key = ${k.secretAccessKey}\n` } },
      { message: "oops, remove creds", files: { "app/creds.ini": null } },
    ]);
    const check = await checkOf(after);
    expect(check.conclusion).toBe("failure");
    expect(h.world.aws.key(k.accessKeyId)?.status).toBe("Inactive");
    const issue = issuesAbout(k.accessKeyId)[0];
    expect(issue.body).toContain(shas[0].slice(0, 7));
    expect(issue.body).toContain("line 2");
  });

  it("reads a binary file the API shows no patch for", async () => {
    const k = newKey();
    const blob = Buffer.concat([Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0]), Buffer.from(envFile(k)), Buffer.alloc(64, 0)]);
    const { after } = await push("main", [{ message: "add binary", files: { "assets/blob.bin": blob } }]);
    await checkOf(after);
    expect(h.world.aws.key(k.accessKeyId)?.status).toBe("Inactive");
    expect(issuesAbout(k.accessKeyId)).toHaveLength(1);
  });

  it("scans only the new commits of a new branch and of a force push", async () => {
    const onBranch = newKey();
    const forced = newKey();
    const before = deactivations();
    const base = await push("feature", [{ message: "branch work", files: { "feature.txt": "clean\n" } }]);
    await checkOf(base.after);
    expect(deactivations()).toBe(before); // the branch's commits already on main were not re-reported
    const b = await push("feature", [{ message: "with key", files: { "f/.env": envFile(onBranch) } }]);
    await checkOf(b.after);
    expect(h.world.aws.key(onBranch.accessKeyId)?.status).toBe("Inactive");
    const f = await push("feature", [{ message: "rewritten", files: { "g/.env": envFile(forced) } }], { force: true, from: base.before === "0".repeat(40) ? undefined : base.before });
    await checkOf(f.after);
    expect(h.world.aws.key(forced.accessKeyId)?.status).toBe("Inactive");
    expect(issuesAbout(forced.accessKeyId)).toHaveLength(1);
  });

  it("comments on the open issue when the same key is pushed again, without a second deactivation or issue", async () => {
    const k = newKey();
    const first = await push("main", [{ message: "one", files: { "a/.env": envFile(k) } }]);
    await checkOf(first.after);
    const count = deactivations();
    const again = await push("other", [{ message: "two", files: { "b/.env": envFile(k) } }]);
    await checkOf(again.after);
    expect(deactivations()).toBe(count);
    const issues = issuesAbout(k.accessKeyId);
    expect(issues).toHaveLength(1);
    expect(issues[0].comments.some((c) => c.body.includes("b/.env") && c.body.includes("pushed again"))).toBe(true);
  });

  it("reports a key of an account keyfence may not act in, and leaves it alone", async () => {
    const k = h.world.aws.createAccessKey(h.world.foreignAccount, "someone");
    const before = deactivations();
    const { after } = await push("main", [{ message: "foreign", files: { "x/.env": envFile(k) } }]);
    await checkOf(after);
    expect(h.world.aws.key(k.accessKeyId)?.status).toBe("Active");
    expect(deactivations()).toBe(before);
    const issue = (await eventually(() => issuesAbout(k.accessKeyId)[0]))!;
    expect(issue.body).toContain(h.world.foreignAccount);
    expect(issue.body).toMatch(/did not deactivate/);
  });

  it("makes no AWS call and opens no issue for AWS's example key; the check notes it", async () => {
    const calls = h.world.aws.calls.length;
    const { after } = await push("main", [
      { message: "docs", files: { "docs/setup.md": "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n" } },
    ]);
    const check = await checkOf(after);
    expect(check.conclusion).toBe("success");
    expect(JSON.stringify(check.output)).toMatch(/example/i);
    expect(h.world.aws.calls.length).toBe(calls);
    expect(issuesAbout("AKIAIOSFODNN7EXAMPLE")).toHaveLength(0);
  });

  it("reports temporary (ASIA) credentials, which cannot be deactivated", async () => {
    const k = newKey();
    const sts = new STSClient({ region: "us-east-1", endpoint: h.world.aws.url, credentials: { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey } });
    const { Credentials: c } = await sts.send(new GetSessionTokenCommand({}));
    sts.destroy();
    secrets.push(c!.SecretAccessKey!, c!.SessionToken!);
    const before = deactivations();
    const { after } = await push("main", [
      { message: "session", files: { "tmp/session.env": `AWS_ACCESS_KEY_ID=${c!.AccessKeyId}\nAWS_SECRET_ACCESS_KEY=${c!.SecretAccessKey}\nAWS_SESSION_TOKEN=${c!.SessionToken}\n` } },
    ]);
    const check = await checkOf(after);
    expect(check.conclusion).toBe("failure");
    expect(deactivations()).toBe(before);
    const issue = issuesAbout(c!.AccessKeyId!)[0];
    expect(issue.title).toMatch(/Temporary/);
    expect(issue.body).toMatch(/cannot be deactivated/);
    expect(issue.body).toContain(h.world.workloadAccount);
  });

  it("honours .github/keyfence.yml: ignored paths, report mode, and says so when it is invalid", async () => {
    const { github, org, repo, aws } = h.world;
    // Settings change the way they do on GitHub: by a push, which keyfence sees.
    const settings = async (yml: string) => checkOf((await push("main", [{ message: "settings", files: { ".github/keyfence.yml": yml } }])).after);
    await settings("mode: report\nignore:\n  - 'fixtures/**'\n");
    const ignored = newKey();
    const reported = newKey();
    const { after } = await push("main", [{ message: "fixtures", files: { "fixtures/.env": envFile(ignored), "src/.env": envFile(reported) } }]);
    await checkOf(after);
    expect(aws.key(ignored.accessKeyId)?.status).toBe("Active");
    expect(issuesAbout(ignored.accessKeyId)).toHaveLength(0);
    expect(aws.key(reported.accessKeyId)?.status).toBe("Active");
    const issue = issuesAbout(reported.accessKeyId)[0];
    expect(issue.body).toMatch(/mode: report/);

    await settings("mode: sometimes\n");
    const bad = await push("main", [{ message: "clean", files: { "README": "hello\n" } }]);
    const check = await checkOf(bad.after);
    expect(check.conclusion).toBe("neutral");
    expect(check.output?.summary).toMatch(/mode/);
    await settings("mode: contain\n");
  });

  it("kept every secret out of logs, the database and GitHub", () => {
    const all = h.everything();
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(all).not.toContain(secret);
    expect(h.githubText()).not.toMatch(/\b(AKIA|ASIA)[A-Z2-7]{16}\b/);
  });
});
