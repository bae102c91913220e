import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_ID, INSTALLATION_ID, publicKeyPem, userOctokit, world, type World } from "./helpers.js";
import { check, responseValidator, schemaValidator } from "./openapi.js";

const run = promisify(execFile);
const O = { owner: "acme", repo: "payments" };
/** A response as it came, without following redirects. */
const raw = (w: World, method: string, path: string, body?: unknown) =>
  fetch(`${w.sim.apiUrl}${path}`, {
    method,
    redirect: "manual",
    headers: { authorization: `token ${w.token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const valid = (method: string, path: string, status: number, data: unknown) => expect(check(responseValidator(method, path, status), data)).toEqual([]);
const validHook = (schema: string, payload: unknown) => expect(check(schemaValidator(schema), payload)).toEqual([]);

// The GitHub faults of issue #6, as GitHub shows them: deleted and locked issues, renamed and
// transferred repositories, suspended installations, expiring tokens.
describe("github sim: deleted, locked, moved, suspended, expired", () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
    // Subscribed to `repository` too, so the events of a rename and a transfer can be checked.
    w.sim.addApp({ appId: APP_ID, slug: "keyfence", publicKeyPem, webhookSecret: w.secret, webhookUrl: w.hooks.url, events: ["push", "issues", "issue_comment", "check_run", "repository"] });
    w.sim.addUser("globex");
    w.sim.addInstallation({ id: 79, account: "globex", accountType: "Organization" });
  });
  afterAll(async () => {
    await w?.close();
  });

  it("a deleted issue answers 410 Gone to GET, PATCH and new comments; `issues` deleted is sent; its number is not reused", async () => {
    const { data: made } = await w.installation.issues.create({ ...O, title: "to be deleted", body: "x" });
    await w.installation.issues.createComment({ ...O, issue_number: made.number, body: "a comment" });
    expect(() => w.sim.deleteIssue("acme", "payments", made.number, "bob")).toThrow(/not an admin/);
    w.sim.deleteIssue("acme", "payments", made.number, "alice");
    await w.sim.idle();
    const hook = w.hooks.of("issues").find((h) => h.payload.action === "deleted")!;
    expect(hook.payload.issue.number).toBe(made.number);
    expect(hook.payload.sender.login).toBe("alice");
    validHook("webhook-issues-deleted", hook.payload);

    for (const [method, path, route, body] of [
      ["GET", `/repos/acme/payments/issues/${made.number}`, "/repos/{owner}/{repo}/issues/{issue_number}", undefined],
      ["PATCH", `/repos/acme/payments/issues/${made.number}`, "/repos/{owner}/{repo}/issues/{issue_number}", { state: "closed" }],
      ["POST", `/repos/acme/payments/issues/${made.number}/comments`, "/repos/{owner}/{repo}/issues/{issue_number}/comments", { body: "hello?" }],
      ["GET", `/repos/acme/payments/issues/${made.number}/comments`, "/repos/{owner}/{repo}/issues/{issue_number}/comments", undefined],
    ] as const) {
      const res = await raw(w, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(410);
      const data = await res.json();
      expect(data).toMatchObject({ message: "This issue was deleted", status: "410" });
      expect(data.documentation_url).toMatch(/^https:\/\/docs\.github\.com\//);
      valid(method, route, 410, data);
    }
    const { data: list } = await w.installation.issues.listForRepo({ ...O, state: "all" });
    expect(list.map((i) => i.number)).not.toContain(made.number);
    const { data: next } = await w.installation.issues.create({ ...O, title: "after" });
    expect(next.number).toBe(made.number + 1);
    // Someone who cannot read the repository gets 404, not 410.
    await w.sim.addRepo("acme", "vault", { private: true });
    const { data: secret } = await w.installation.issues.create({ owner: "acme", repo: "vault", title: "v" });
    w.sim.setCollaborator("acme", "vault", "alice", "admin");
    w.sim.deleteIssue("acme", "vault", secret.number, "alice");
    await expect(userOctokit(w.sim, "erin").issues.get({ owner: "acme", repo: "vault", issue_number: secret.number })).rejects.toMatchObject({ status: 404 });
    expect(w.sim.issues("acme", "payments").map((i) => i.number)).not.toContain(made.number);
  });

  it("a locked issue: 204 to lock, `issues` locked; an app's comment is refused (403), a collaborator's is not", async () => {
    const { data: i } = await w.installation.issues.create({ ...O, title: "to be locked" });
    const lock = await raw(w, "PUT", `/repos/acme/payments/issues/${i.number}/lock`, { lock_reason: "resolved" });
    expect(lock.status).toBe(204);
    const bad = await raw(w, "PUT", `/repos/acme/payments/issues/${i.number}/lock`, { lock_reason: "because" });
    expect(bad.status).toBe(422);
    valid("PUT", "/repos/{owner}/{repo}/issues/{issue_number}/lock", 422, await bad.json());
    await w.sim.idle();
    const hook = w.hooks.of("issues").find((h) => h.payload.action === "locked" && h.payload.issue.number === i.number)!;
    expect(hook.payload.issue).toMatchObject({ locked: true, active_lock_reason: "resolved" });
    validHook("webhook-issues-locked", hook.payload);
    const { data: got } = await w.installation.issues.get({ ...O, issue_number: i.number });
    expect(got).toMatchObject({ locked: true, active_lock_reason: "resolved" });

    const refused = await raw(w, "POST", `/repos/acme/payments/issues/${i.number}/comments`, { body: "from the app" });
    expect(refused.status).toBe(403);
    const data = await refused.json();
    expect(data).toMatchObject({ message: "Unable to create comment because issue is locked.", documentation_url: "https://docs.github.com/articles/locking-conversations/" });
    valid("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", 403, data);
    // People with write access, and collaborators, may still comment; others may not.
    await expect(userOctokit(w.sim, "bob").issues.createComment({ ...O, issue_number: i.number, body: "bob here" })).resolves.toMatchObject({ status: 201 });
    await expect(userOctokit(w.sim, "erin").issues.createComment({ ...O, issue_number: i.number, body: "erin here" })).rejects.toMatchObject({ status: 403 });
    await expect(w.sim.comment("acme", "payments", i.number, "erin", "erin again")).rejects.toThrow(/locked/);
    // The issue itself may still be edited and closed.
    await expect(w.installation.issues.update({ ...O, issue_number: i.number, body: "edited while locked" })).resolves.toMatchObject({ status: 200 });
    expect((await raw(w, "DELETE", `/repos/acme/payments/issues/${i.number}/lock`)).status).toBe(204);
    await expect(w.installation.issues.createComment({ ...O, issue_number: i.number, body: "unlocked" })).resolves.toMatchObject({ status: 201 });
    w.sim.lockIssue("acme", "payments", i.number, "carol", "too heated");
    expect(w.sim.issues("acme", "payments").find((x) => x.number === i.number)?.locked).toBe(true);
  });

  it("a renamed repository: 301 (GET) and 307 (other methods) to /repositories/{id}/…, which answers; webhooks carry the new name", async () => {
    await w.sim.addRepo("acme", "old-name");
    w.sim.setCollaborator("acme", "old-name", "bob", "write");
    await w.sim.push("acme", "old-name", { branch: "main", pusher: "bob", commits: [{ message: "one", files: { "a.txt": "a\n" } }] });
    const { data: before } = await w.installation.repos.get({ owner: "acme", repo: "old-name" });
    const { data: i } = await w.installation.issues.create({ owner: "acme", repo: "old-name", title: "before the rename" });
    w.sim.renameRepo("acme", "old-name", "new-name", "alice");
    await w.sim.idle();
    const renamed = w.hooks.of("repository").find((h) => h.payload.action === "renamed")!;
    expect(renamed.payload.changes).toEqual({ repository: { name: { from: "old-name" } } });
    expect(renamed.payload.repository).toMatchObject({ id: before.id, full_name: "acme/new-name" });
    validHook("webhook-repository-renamed", renamed.payload);

    const get = await raw(w, "GET", "/repos/acme/old-name?x=1");
    expect(get.status).toBe(301);
    expect(get.headers.get("location")).toBe(`${w.sim.apiUrl}/repositories/${before.id}?x=1`);
    const moved = await get.json();
    expect(moved).toMatchObject({ message: "Moved Permanently", url: get.headers.get("location") });
    valid("GET", "/repos/{owner}/{repo}", 301, moved);
    const post = await raw(w, "POST", `/repos/acme/old-name/issues/${i.number}/comments`, { body: "x" });
    expect(post.status).toBe(307);
    expect(post.headers.get("location")).toBe(`${w.sim.apiUrl}/repositories/${before.id}/issues/${i.number}/comments`);
    expect((await post.json()).message).toBe("Temporary Redirect");

    // Clients that follow redirects (Octokit does, through fetch) keep working on the old name.
    const { data: after } = await w.installation.repos.get({ owner: "acme", repo: "old-name" });
    expect(after).toMatchObject({ id: before.id, full_name: "acme/new-name" });
    await expect(w.installation.issues.createComment({ owner: "acme", repo: "old-name", issue_number: i.number, body: "through a 307" })).resolves.toMatchObject({ status: 201 });
    await expect(w.installation.issues.update({ owner: "acme", repo: "old-name", issue_number: i.number, state: "closed" })).resolves.toMatchObject({ status: 200 });
    expect(w.sim.issues("acme", "new-name")[0]).toMatchObject({ state: "closed", comments: [{ body: "through a 307" }] });
    const byId = await raw(w, "GET", `/repositories/${before.id}/issues/${i.number}`);
    expect(byId.status).toBe(200);
    expect((await byId.json()).repository_url).toBe(`${w.sim.apiUrl}/repos/acme/new-name`);

    // git: the old URL is redirected too; a token limited to the repository (by ID) still reaches it.
    const { data: scoped } = await w.app.apps.createInstallationAccessToken({ installation_id: INSTALLATION_ID, repository_ids: [before.id] });
    const dir = await mkdtemp(join(tmpdir(), "ghsim-moved-"));
    try {
      const auth = Buffer.from(`x-access-token:${scoped.token}`).toString("base64");
      await run("git", ["-c", `http.extraHeader=Authorization: Basic ${auth}`, "clone", "--bare", "-q", `${w.sim.url}/acme/old-name.git`, join(dir, "c.git")], { env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
      const { stdout } = await run("git", ["--git-dir", join(dir, "c.git"), "log", "--format=%s"]);
      expect(stdout.trim()).toBe("one");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await w.sim.push("acme", "new-name", { branch: "main", pusher: "bob", commits: [{ message: "two", files: { "b.txt": "b\n" } }] });
    await w.sim.idle();
    expect(w.hooks.of("push").at(-1)!.payload.repository).toMatchObject({ id: before.id, name: "new-name", full_name: "acme/new-name" });
    // A new repository under the old name ends the redirect.
    await w.sim.addRepo("acme", "old-name");
    const { data: fresh } = await w.installation.repos.get({ owner: "acme", repo: "old-name" });
    expect(fresh.id).not.toBe(before.id);
  });

  it("a transferred repository: its old owner/name redirects; `repository` transferred; the new owner's installation sees it", async () => {
    await w.sim.addRepo("acme", "moving");
    const { data: before } = await w.installation.repos.get({ owner: "acme", repo: "moving" });
    w.sim.transferRepo("acme", "moving", "globex", "alice");
    await w.sim.idle();
    const hook = w.hooks.of("repository").find((h) => h.payload.action === "transferred")!;
    expect(hook.payload.changes.owner.from.organization.login).toBe("acme");
    expect(hook.payload.installation.id).toBe(79);
    validHook("webhook-repository-transferred", hook.payload);
    const { data: t } = await w.app.apps.createInstallationAccessToken({ installation_id: 79 });
    const globex = new Octokit({ baseUrl: w.sim.apiUrl, auth: t.token });
    const { data: after } = await globex.repos.get({ owner: "acme", repo: "moving" });
    expect(after).toMatchObject({ id: before.id, full_name: "globex/moving" });
    // acme's installation no longer sees it, under either name.
    await expect(w.installation.repos.get({ owner: "acme", repo: "moving" })).rejects.toMatchObject({ status: 404 });
  });

  it("a suspended installation: 403 for new and existing tokens, no webhooks but `installation` suspend/unsuspend", async () => {
    const res = await w.app.request("PUT /app/installations/{installation_id}/suspended", { installation_id: INSTALLATION_ID });
    expect(res.status).toBe(204);
    await w.sim.idle();
    const suspend = w.hooks.of("installation").find((h) => h.payload.action === "suspend")!;
    expect(suspend.payload.installation).toMatchObject({ id: INSTALLATION_ID, suspended_by: { login: "keyfence[bot]" } });
    expect(suspend.payload.installation.suspended_at).toMatch(/Z$/);
    validHook("webhook-installation-suspend", suspend.payload);
    const { data: inst } = await w.app.apps.getInstallation({ installation_id: INSTALLATION_ID });
    expect(inst.suspended_at).toBeTruthy();
    expect(check(schemaValidator("installation"), inst)).toEqual([]);

    const mint = await w.app.apps.createInstallationAccessToken({ installation_id: INSTALLATION_ID }).catch((e) => e);
    expect(mint.status).toBe(403);
    expect(mint.response.data).toMatchObject({ message: "This installation has been suspended", status: "403" });
    valid("POST", "/app/installations/{installation_id}/access_tokens", 403, mint.response.data);
    await expect(w.installation.repos.get(O)).rejects.toMatchObject({ status: 403, response: { data: { message: "This installation has been suspended" } } });
    const hooks = w.hooks.received.length;
    await w.sim.push("acme", "payments", { branch: "main", pusher: "bob", commits: [{ message: "while suspended", files: { "s.txt": "s\n" } }] });
    await w.sim.comment("acme", "payments", 1, "alice", "hello?").catch(() => undefined);
    await w.sim.idle();
    expect(w.hooks.received.length).toBe(hooks);

    w.sim.unsuspendInstallation(INSTALLATION_ID, "alice");
    await w.sim.idle();
    const unsuspend = w.hooks.of("installation").find((h) => h.payload.action === "unsuspend")!;
    expect(unsuspend.payload.installation.suspended_at).toBeNull();
    validHook("webhook-installation-unsuspend", unsuspend.payload);
    await expect(w.installation.repos.get(O)).resolves.toMatchObject({ status: 200 });
    expect((await w.app.request("DELETE /app/installations/{installation_id}/suspended", { installation_id: INSTALLATION_ID })).status).toBe(204);
  });

  it("tokens expire: a shorter lifetime, and the `expireToken` fault (REST 401 Bad credentials, git 401 with a challenge)", async () => {
    w.sim.setTokenLifetime(1000);
    const { data } = await w.app.apps.createInstallationAccessToken({ installation_id: INSTALLATION_ID });
    expect(new Date(data.expires_at).getTime() - Date.now()).toBeLessThanOrEqual(1000);
    const o = new Octokit({ baseUrl: w.sim.apiUrl, auth: data.token });
    await expect(o.repos.get(O)).resolves.toMatchObject({ status: 200 });
    await new Promise((r) => setTimeout(r, 1100));
    await expect(o.repos.get(O)).rejects.toMatchObject({ status: 401, response: { data: { message: "Bad credentials" } } });
    w.sim.setTokenLifetime(undefined);

    const { data: t2 } = await w.app.apps.createInstallationAccessToken({ installation_id: INSTALLATION_ID });
    const o2 = new Octokit({ baseUrl: w.sim.apiUrl, auth: t2.token });
    w.sim.fail({ path: "/repos/acme/payments/issues", method: "GET", expireToken: true, times: 1 });
    await expect(o2.repos.get(O)).resolves.toMatchObject({ status: 200 });
    await expect(o2.issues.listForRepo(O)).rejects.toMatchObject({ status: 401 });
    await expect(o2.repos.get(O)).rejects.toMatchObject({ status: 401 }); // expired for good

    const { data: t3 } = await w.app.apps.createInstallationAccessToken({ installation_id: INSTALLATION_ID });
    w.sim.fail({ path: /\/acme\/payments\.git\/info\/refs$/, expireToken: true, times: 1 });
    const res = await fetch(`${w.sim.url}/acme/payments.git/info/refs?service=git-upload-pack`, { headers: { authorization: `Basic ${Buffer.from(`x-access-token:${t3.token}`).toString("base64")}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Basic realm="GitHub"');
  });
});
