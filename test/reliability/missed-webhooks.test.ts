import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactKeyId } from "../../src/detect/index.js";
import { envFile, eventually, expectInvariants, expectNoSecret, newKey, settle, startRig, type Rig } from "./harness.js";
import { pushRefs } from "./git.js";

// GitHub does not retry a failed delivery, and sends no push event for more than three tags pushed
// at once. keyfence redelivers its failed deliveries and sweeps refs: nothing pushed escapes.
describe("missed webhooks", () => {
  let rig: Rig;
  const leaked: ReturnType<typeof newKey>[] = [];
  const issueFor = (repo: string, keyId: string) => rig.world.github.issues(rig.world.org, repo).filter((i) => i.title.includes(redactKeyId(keyId)));

  beforeAll(async () => {
    rig = await startRig({ KEYFENCE_RECONCILE_INTERVAL: "2" });
    const { github, org, repo } = rig.world;
    // A first, clean push keyfence sees: the repository's heads are known from then on.
    await github.push(org, repo, { branch: "main", pusher: "dave", commits: [{ message: "init", files: { "README.md": "hello\n" } }] });
    await settle(rig);
  });
  afterAll(async () => rig?.close());

  it("a push made while keyfence is down is redelivered when it starts, and contained once", async () => {
    const { github, aws, org, repo } = rig.world;
    await rig.stop("SIGKILL");
    const k = newKey(rig, "down");
    leaked.push(k);
    await github.push(org, repo, { branch: "main", pusher: "dave", commits: [{ message: "oops", files: { "prod.env": envFile(k) } }] });
    await github.idle();
    const missed = github.deliveries.filter((d) => d.event === "push").at(-1)!;
    expect(missed.status).toBeUndefined(); // connection refused: GitHub will not retry it
    expect(aws.key(k.accessKeyId)?.status).toBe("Active");

    await rig.start();
    await eventually(() => aws.key(k.accessKeyId)?.status === "Inactive", 30_000);
    await eventually(() => issueFor(repo, k.accessKeyId).length === 1, 30_000);
    const attempts = github.deliveries.filter((d) => d.guid === missed.guid);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.some((d) => d.redelivery && d.status === 200)).toBe(true);
    expect(rig.query("select guid, attempts from redeliveries where guid = ?", missed.guid)).toEqual([{ guid: missed.guid, attempts: 1 }]);
    await settle(rig);
    // Later sweeps do not ask again: the delivery is recorded now.
    await new Promise((r) => setTimeout(r, 2500));
    expect(github.deliveries.filter((d) => d.guid === missed.guid).length).toBe(attempts.length);
  });

  it("more than three tags pushed at once (no push event at all): the sweep finds the key", async () => {
    const { github, aws, org, repo } = rig.world;
    const k = newKey(rig, "tags");
    leaked.push(k);
    const before = github.deliveries.length;
    const updates = () => aws.calls.filter((c) => c.action === "UpdateAccessKey" && c.ok).length;
    const updatesBefore = updates();
    await pushRefs(rig, repo, "dave", { "release/creds.env": envFile(k) }, ["refs/tags/v1", "refs/tags/v2", "refs/tags/v3", "refs/tags/v4"]);
    expect(github.deliveries.slice(before).filter((d) => d.event === "push")).toHaveLength(0);
    await eventually(() => aws.key(k.accessKeyId)?.status === "Inactive", 30_000);
    await eventually(() => issueFor(repo, k.accessKeyId).length === 1, 30_000);
    await settle(rig);
    // Four tags, one commit: one issue, one deactivation.
    expect(updates() - updatesBefore).toBe(1);
    const tags = rig.query<{ ref: string }>("select ref from scanned_refs where ref like 'refs/tags/%' order by ref").map((r) => r.ref);
    expect(tags).toEqual(["refs/tags/v1", "refs/tags/v2", "refs/tags/v3", "refs/tags/v4"]);
  });

  it("with the deliveries API failing, the sweep alone catches a push missed while down", async () => {
    const { github, aws, org, repo } = rig.world;
    github.fail({ path: "/app/hook/deliveries", status: 502 });
    await rig.stop("SIGKILL");
    const k = newKey(rig, "sweep");
    leaked.push(k);
    await github.push(org, repo, { branch: "feature/x", pusher: "dave", commits: [{ message: "wip", files: { "cfg/aws.env": envFile(k) } }] });
    await github.push(org, repo, { branch: "main", pusher: "dave", commits: [{ message: "docs", files: { "docs.md": "nothing here\n" } }] });
    await rig.start();
    await eventually(() => aws.key(k.accessKeyId)?.status === "Inactive", 30_000);
    await eventually(() => issueFor(repo, k.accessKeyId).length === 1, 30_000);
    github.clearFaults();
    await settle(rig);
  });

  it("ends with every invariant true and no secret written anywhere", async () => {
    await settle(rig);
    await expectInvariants(rig, leaked);
    expectNoSecret(rig.everything(), leaked.map((k) => k.secretAccessKey));
  });
});
