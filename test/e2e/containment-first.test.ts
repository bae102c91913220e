import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactKeyId } from "../../src/detect/index.js";
import { envFile, eventually, expectInvariants, newKey, settle, startRig, type Rig } from "../reliability/harness.js";

// Issue #3: Probot spaces an installation's GitHub writes about a second apart, so a push's issue
// and check run take seconds. With two workers and four leaks pushed at once, a push job that also
// reported would leave the next pushes' keys active behind it: containment must wait for none of it.
const N = 4;

describe("containment is never queued behind reporting", () => {
  let rig: Rig;
  const pushes: Array<{ repo: string; after: string; key: ReturnType<typeof newKey> }> = [];
  beforeAll(async () => {
    rig = await startRig({ KEYFENCE_WORKERS: "2", KEYFENCE_RECONCILE: "off" });
  });
  afterAll(async () => rig?.close());

  it(`${N} leaks pushed at once to one installation: every key Inactive before the second issue is opened`, async () => {
    const { github, aws, org } = rig.world;
    const hook = `${rig.app!.url}/api/github/webhooks`;
    github.setWebhookUrl("http://127.0.0.1:1/"); // the pushes' webhooks are held back, then delivered at once
    for (let i = 0; i < N; i++) {
      const repo = `svc-${i}`;
      await rig.addRepo(repo);
      await github.push(org, repo, { branch: "main", pusher: "dave", commits: [{ message: "init", files: { "README.md": "hi\n" } }] });
      const key = newKey(rig, "burst");
      const { after } = await github.push(org, repo, { branch: "main", pusher: "dave", commits: [{ message: "settings", files: { ".env": envFile(key) } }] });
      pushes.push({ repo, after, key });
    }
    await github.idle();
    github.setWebhookUrl(hook);
    const deliveries = pushes.map((p) => github.deliveries.find((d) => d.event === "push" && (d.payload as { after: string }).after === p.after)!);
    expect(await Promise.all(deliveries.map((d) => github.redeliver(d.id)))).toEqual(deliveries.map(() => 200));

    await eventually(() => pushes.every((p) => github.issues(org, p.repo).length === 1 && github.checkRuns(org, p.repo).length === 1), 60_000);
    // The simulator's log names the caller, not the key: the N deactivations, in the order they were made.
    const inactiveAt = aws.calls.filter((c) => c.action === "UpdateAccessKey" && c.ok).map((c) => c.at.getTime());
    const openedAt = new Map(
      github.requests
        .filter((r) => r.method === "POST" && /\/repos\/[^/]+\/[^/]+\/issues$/.test(r.path) && r.status === 201)
        .map((r) => [r.path.split("/").at(-2)!, r.at.getTime() + r.durationMs] as const),
    );
    const timeline = JSON.stringify({ inactive: inactiveAt, opened: [...openedAt.values()].sort() });
    expect(inactiveAt, timeline).toHaveLength(N);
    const secondIssue = [...openedAt.values()].sort((a, b) => a - b)[1]!;
    expect(Math.max(...inactiveAt), `a key was still active when the second issue opened: ${timeline}`).toBeLessThan(secondIssue);
    const deactivated = new Map(rig.app!.records().flatMap((r) => (r.msg === "key deactivated" ? [[String(r.key), Number(r.time)] as const] : [])));

    for (const p of pushes) {
      // What a user sees stays in order: the issue comes once the key is Inactive.
      expect(deactivated.get(redactKeyId(p.key.accessKeyId))!).toBeLessThan(openedAt.get(p.repo)!);
      const [check] = github.checkRuns(org, p.repo);
      expect(check).toMatchObject({ head_sha: p.after, status: "completed", conclusion: "failure" });
      expect(JSON.stringify(check!.output?.annotations)).toContain(redactKeyId(p.key.accessKeyId));
    }
    await settle(rig);
    await expectInvariants(rig, pushes.map((p) => ({ ...p.key, repo: p.repo })));
  }, 90_000);

  it("a report run again after GitHub refused its check run tells the key's issue once", async () => {
    const { github, org } = rig.world;
    const { repo, key } = pushes[0]!;
    github.fail({ method: "POST", path: `/repos/${org}/${repo}/check-runs`, status: 422, times: 1 });
    const { after } = await github.push(org, repo, { branch: "main", pusher: "dave", commits: [{ message: "again", files: { "deploy/.env": envFile(key) } }] });
    await eventually(() => github.checkRuns(org, repo).find((c) => c.head_sha === after), 30_000);
    await settle(rig);
    expect(github.requests.filter((r) => r.path.endsWith(`/${repo}/check-runs`) && r.status === 422)).toHaveLength(1);
    const [issue] = github.issues(org, repo);
    expect(issue!.comments.filter((c) => c.body.includes("pushed again") && c.body.includes("deploy/.env"))).toHaveLength(1);
    expect(github.checkRuns(org, repo).find((c) => c.head_sha === after)).toMatchObject({ conclusion: "failure" });
  }, 60_000);
});
