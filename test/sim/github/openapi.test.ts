import sodium from "libsodium-wrappers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, responseValidator, schemaValidator } from "./openapi.js";
import { INSTALLATION_ID, world, type World } from "./helpers.js";

const O = { owner: "acme", repo: "payments" };
type Hit = { method: string; path: string; status: number; data: unknown };

describe("github sim: responses validate against GitHub's OpenAPI description", () => {
  let w: World;
  const hits: Hit[] = [];
  beforeAll(async () => {
    w = await world();
    w.sim.addEnvironment("acme", "payments", "production");
    const push = await w.sim.push("acme", "payments", { branch: "main", pusher: "bob", commits: [
      { message: "one", files: { "a.txt": "a\n", "bin.dat": Buffer.from([0, 1, 2, 0, 255]) } },
      { message: "two", files: { "a.txt": "a\nb\n", "dir/b.txt": "b" } },
    ] });
    const i = w.installation;
    const rec = async (method: string, path: string, p: Promise<{ status: number; data: unknown }>) => {
      const r = await p.catch((e) => e.response ?? Promise.reject(e));
      hits.push({ method, path, status: r.status, data: r.data });
      return r;
    };
    await rec("GET", "/app", w.app.apps.getAuthenticated());
    await rec("GET", "/app/installations", w.app.apps.listInstallations());
    await rec("GET", "/app/installations/{installation_id}", w.app.apps.getInstallation({ installation_id: INSTALLATION_ID }));
    await rec("POST", "/app/installations/{installation_id}/access_tokens", w.app.apps.createInstallationAccessToken({ installation_id: INSTALLATION_ID, repositories: ["payments"] }));
    await rec("GET", "/repos/{owner}/{repo}/installation", w.app.apps.getRepoInstallation(O));
    await rec("GET", "/installation/repositories", i.apps.listReposAccessibleToInstallation());
    await rec("GET", "/repos/{owner}/{repo}", i.repos.get(O));
    await w.sim.addRepo("acme", "payments-fork", { forkOf: "acme/payments" });
    const fork = await rec("GET", "/repos/{owner}/{repo}", i.repos.get({ owner: "acme", repo: "payments-fork" }));
    expect(fork.data).toMatchObject({ fork: true, parent: { full_name: "acme/payments" }, source: { full_name: "acme/payments" } });
    await rec("GET", "/repos/{owner}/{repo}/commits/{ref}", i.repos.getCommit({ ...O, ref: push.shas[0] }));
    await rec("GET", "/repos/{owner}/{repo}/commits/{ref}", i.repos.getCommit({ ...O, ref: "main" }));
    await rec("GET", "/repos/{owner}/{repo}/commits", i.repos.listCommits(O));
    await rec("GET", "/repos/{owner}/{repo}/compare/{basehead}", i.repos.compareCommitsWithBasehead({ ...O, basehead: `${push.shas[0]}...${push.after}` }));
    await rec("GET", "/repos/{owner}/{repo}/contents/{path}", i.repos.getContent({ ...O, path: "a.txt" }));
    await rec("GET", "/repos/{owner}/{repo}/contents/{path}", i.repos.getContent({ ...O, path: "dir" }));
    await rec("GET", "/repos/{owner}/{repo}/contents/{path}", i.repos.getContent({ ...O, path: "missing" }));
    await rec("POST", "/repos/{owner}/{repo}/issues", i.issues.create({ ...O, title: "t", body: "b", labels: ["x"], assignees: ["bob"] }));
    await rec("POST", "/repos/{owner}/{repo}/issues", i.issues.create({ ...O, title: "t", assignees: ["ghost"] }));
    await rec("GET", "/repos/{owner}/{repo}/issues", i.issues.listForRepo(O));
    await rec("GET", "/repos/{owner}/{repo}/issues/{issue_number}", i.issues.get({ ...O, issue_number: 1 }));
    await rec("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", i.issues.update({ ...O, issue_number: 1, state: "closed", state_reason: "completed" }));
    const c = await rec("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", i.issues.createComment({ ...O, issue_number: 1, body: "hi" }));
    await rec("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments", i.issues.listComments({ ...O, issue_number: 1 }));
    await rec("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}", i.issues.getComment({ ...O, comment_id: (c.data as { id: number }).id }));
    await rec("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}", i.issues.updateComment({ ...O, comment_id: (c.data as { id: number }).id, body: "hey" }));
    await rec("POST", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", i.reactions.createForIssueComment({ ...O, comment_id: (c.data as { id: number }).id, content: "+1" }));
    await rec("POST", "/repos/{owner}/{repo}/labels", i.issues.createLabel({ ...O, name: "leak", color: "ff0000" }));
    await rec("POST", "/repos/{owner}/{repo}/labels", i.issues.createLabel({ ...O, name: "leak", color: "ff0000" }));
    await rec("GET", "/repos/{owner}/{repo}/labels", i.issues.listLabelsForRepo(O));
    await rec("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", i.issues.addLabels({ ...O, issue_number: 1, labels: ["leak"] }));
    await rec("POST", "/repos/{owner}/{repo}/issues/{issue_number}/assignees", i.issues.addAssignees({ ...O, issue_number: 1, assignees: ["alice"] }));
    await rec("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", i.repos.getCollaboratorPermissionLevel({ ...O, username: "carol" }));
    await rec("GET", "/users/{username}", i.users.getByUsername({ username: "alice" }));
    await rec("GET", "/users/{username}", i.users.getByUsername({ username: "acme" }));
    const key = await rec("GET", "/repos/{owner}/{repo}/actions/secrets/public-key", i.actions.getRepoPublicKey(O));
    await sodium.ready;
    const k = key.data as { key: string; key_id: string };
    const enc = sodium.to_base64(sodium.crypto_box_seal(sodium.from_string("v"), sodium.from_base64(k.key, sodium.base64_variants.ORIGINAL)), sodium.base64_variants.ORIGINAL);
    await rec("PUT", "/repos/{owner}/{repo}/actions/secrets/{secret_name}", i.actions.createOrUpdateRepoSecret({ ...O, secret_name: "S", encrypted_value: enc, key_id: k.key_id }));
    await rec("GET", "/repos/{owner}/{repo}/actions/secrets/{secret_name}", i.actions.getRepoSecret({ ...O, secret_name: "S" }));
    await rec("GET", "/repos/{owner}/{repo}/actions/secrets", i.actions.listRepoSecrets(O));
    await rec("GET", "/repos/{owner}/{repo}/environments/{environment_name}/secrets/public-key", i.actions.getEnvironmentPublicKey({ ...O, environment_name: "production" }));
    const run = await rec("POST", "/repos/{owner}/{repo}/check-runs", i.checks.create({ ...O, name: "keyfence", head_sha: push.after, status: "in_progress" }));
    await rec("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", i.checks.update({ ...O, check_run_id: (run.data as { id: number }).id, conclusion: "success", output: { title: "ok", summary: "ok", annotations: [{ path: "a.txt", start_line: 1, end_line: 1, annotation_level: "notice", message: "m" }] } }));
    await rec("GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs", i.checks.listForRef({ ...O, ref: push.after }));
    await rec("GET", "/repos/{owner}/{repo}/check-runs/{check_run_id}", i.checks.get({ ...O, check_run_id: (run.data as { id: number }).id }));
    await rec("GET", "/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations", i.checks.listAnnotations({ ...O, check_run_id: (run.data as { id: number }).id }));
    await rec("GET", "/repos/{owner}/{repo}/labels/{name}", i.issues.getLabel({ ...O, name: "leak" }));
    await rec("GET", "/repos/{owner}/{repo}/labels/{name}", i.issues.getLabel({ ...O, name: "nope" }));
    await rec("GET", "/orgs/{org}/installation", w.app.apps.getOrgInstallation({ org: "acme" }));
    await rec("GET", "/users/{username}/installation", w.app.apps.getUserInstallation({ username: "acme" }));
    await rec("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", i.reactions.listForIssueComment({ ...O, comment_id: (c.data as { id: number }).id }));
    await rec("GET", "/repos/{owner}/{repo}/issues/{issue_number}/labels", i.issues.listLabelsOnIssue({ ...O, issue_number: 1 }));
    await rec("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", i.repos.getCollaboratorPermissionLevel({ ...O, username: "nobody-at-all" }));
    const ek = (await i.actions.getEnvironmentPublicKey({ ...O, environment_name: "production" })).data;
    const eenc = sodium.to_base64(sodium.crypto_box_seal(sodium.from_string("v"), sodium.from_base64(ek.key, sodium.base64_variants.ORIGINAL)), sodium.base64_variants.ORIGINAL);
    await rec("PUT", "/repos/{owner}/{repo}/environments/{environment_name}/secrets/{secret_name}", i.actions.createOrUpdateEnvironmentSecret({ ...O, environment_name: "production", secret_name: "E", encrypted_value: eenc, key_id: ek.key_id }));
    await rec("GET", "/repos/{owner}/{repo}/environments/{environment_name}/secrets/{secret_name}", i.actions.getEnvironmentSecret({ ...O, environment_name: "production", secret_name: "E" }));
    await rec("GET", "/repos/{owner}/{repo}/environments/{environment_name}/secrets", i.actions.listEnvironmentSecrets({ ...O, environment_name: "production" }));
    await rec("GET", "/repos/{owner}/{repo}/environments/{environment_name}", i.repos.getEnvironment({ ...O, environment_name: "production" }));
    await rec("GET", "/repos/{owner}/{repo}", i.repos.get({ owner: "acme", repo: "missing" }));
    await w.sim.comment("acme", "payments", 1, "carol", "/rotate");
    await w.sim.idle();
  });
  afterAll(async () => { await w?.close(); });

  it("every REST response matches its documented schema", () => {
    expect(hits.length).toBeGreaterThan(50);
    const failures: string[] = [];
    for (const h of hits) {
      // The inline schema of GET /app/installations says account is allOf[simple-user, enterprise] (a defect in
      // GitHub's description: an account is one or the other); validate its items against the `installation` component, which uses anyOf.
      const errs = h.path === "/app/installations" && h.status === 200
        ? (h.data as unknown[]).flatMap((x) => check(schemaValidator("installation"), x))
        : check(responseValidator(h.method, h.path, h.status), h.data);
      if (errs.length) failures.push(`${h.method} ${h.path} ${h.status}: ${errs.join("; ")}`);
    }
    expect(failures).toEqual([]);
    // the error statuses we exercised really were errors
    expect(hits.filter((h) => h.status >= 400).map((h) => `${h.method} ${h.path} ${h.status}`)).toEqual([
      "GET /repos/{owner}/{repo}/contents/{path} 404",
      "POST /repos/{owner}/{repo}/issues 422",
      "POST /repos/{owner}/{repo}/labels 422",
      "GET /repos/{owner}/{repo}/labels/{name} 404",
      "GET /repos/{owner}/{repo}/collaborators/{username}/permission 404",
      "GET /repos/{owner}/{repo} 404",
    ]);
  });

  it("webhook payloads match GitHub's webhook schemas", () => {
    const byEvent: Record<string, string> = {
      push: "webhook-push", "issues.opened": "webhook-issues-opened", "issues.closed": "webhook-issues-closed",
      "issues.labeled": "webhook-issues-labeled", "issues.assigned": "webhook-issues-assigned",
      "issue_comment.created": "webhook-issue-comment-created", "issue_comment.edited": "webhook-issue-comment-edited",
      "check_run.created": "webhook-check-run-created", "check_run.completed": "webhook-check-run-completed",
    };
    const seen = new Set<string>();
    const failures: string[] = [];
    for (const h of w.hooks.received) {
      const key = h.payload.action ? `${h.headers["x-github-event"]}.${h.payload.action}` : String(h.headers["x-github-event"]);
      const schema = byEvent[key];
      if (!schema) continue;
      seen.add(key);
      const errs = check(schemaValidator(schema), h.payload);
      if (errs.length) failures.push(`${key}: ${errs.join("; ")}`);
    }
    expect(failures).toEqual([]);
    expect([...seen].sort()).toEqual(Object.keys(byEvent).sort());
  });
});
