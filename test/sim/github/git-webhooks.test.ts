import { exec } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_ID, INSTALLATION_ID, privateKeyPem, verifySignature, world, type World } from "./helpers.js";

const sh = promisify(exec);
const ZERO = "0000000000000000000000000000000000000000";
const KEY = "AKIAIOSFODNN7EXAMPLE";

describe("github sim: git + push webhooks + commits/compare", () => {
  let w: World;
  let first: { before: string; after: string; shas: string[] };
  let second: { before: string; after: string; shas: string[] };
  beforeAll(async () => { w = await world(); });
  afterAll(async () => { await w?.close(); });

  it("first push creates the branch and delivers a signed push webhook", async () => {
    first = await w.sim.push("acme", "payments", { branch: "main", pusher: "bob", commits: [{ message: "initial", files: { "README.md": "# payments\n", "src/app.js": "console.log(1)\n" } }] });
    expect(first.before).toBe(ZERO);
    await w.sim.idle();
    const [hook] = w.hooks.of("push");
    expect(hook).toBeDefined();
    expect(verifySignature(w.secret, hook)).toBe(true);
    expect(hook.headers["user-agent"]).toMatch(/^GitHub-Hookshot\//);
    expect(hook.headers["content-type"]).toBe("application/json");
    expect(hook.headers["x-github-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(hook.headers["x-github-hook-installation-target-id"]).toBe(String(APP_ID));
    expect(hook.headers["x-github-hook-id"]).toMatch(/^\d+$/);
    const p = hook.payload;
    expect(p).toMatchObject({ ref: "refs/heads/main", before: ZERO, after: first.after, created: true, deleted: false, forced: false, base_ref: null });
    expect(p.compare).toBe(`${w.sim.url}/acme/payments/compare/main`);
    expect(p.commits).toHaveLength(1);
    expect(p.commits[0]).toMatchObject({ id: first.after, distinct: true, message: "initial", added: ["README.md", "src/app.js"], removed: [], modified: [] });
    expect(p.commits[0].author).toMatchObject({ name: "bob", username: "bob" });
    expect(p.head_commit.id).toBe(first.after);
    expect(p.pusher.name).toBe("bob");
    expect(p.sender.login).toBe("bob");
    expect(p.installation.id).toBe(INSTALLATION_ID);
    expect(p.organization.login).toBe("acme");
    expect(p.repository).toMatchObject({ full_name: "acme/payments", default_branch: "main", master_branch: "main", organization: "acme" });
    expect(typeof p.repository.created_at).toBe("number");
    const d = w.sim.deliveries.find((x) => x.id === hook.headers["x-github-delivery"]);
    expect(d).toMatchObject({ event: "push", status: 200 });
  });

  it("second push: commits and compare computed from git, with patches (none for binaries)", async () => {
    second = await w.sim.push("acme", "payments", { branch: "main", pusher: "bob", commits: [
      { message: "add config", files: { ".env": `AWS_ACCESS_KEY_ID=${KEY}\nAWS_REGION=us-east-1\n`, "logo.png": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 0, 0, 255]) } },
      { message: "tidy", files: { "README.md": "# payments service\n", "src/app.js": null, "src/main.js": "console.log(1)\n" } },
    ] });
    expect(second.before).toBe(first.after);
    expect(second.shas).toHaveLength(2);
    await w.sim.idle();
    const p = w.hooks.of("push")[1].payload;
    expect(p).toMatchObject({ before: first.after, after: second.after, created: false, forced: false });
    expect(p.compare).toBe(`${w.sim.url}/acme/payments/compare/${first.after.slice(0, 12)}...${second.after.slice(0, 12)}`);
    expect(p.commits.map((c: any) => c.id)).toEqual(second.shas);
    expect(p.commits[1]).toMatchObject({ added: ["src/main.js"], removed: ["src/app.js"], modified: ["README.md"] });

    const { data: c1 } = await w.installation.repos.getCommit({ owner: "acme", repo: "payments", ref: second.shas[0] });
    expect(c1.parents.map((x) => x.sha)).toEqual([first.after]);
    const env = c1.files!.find((f) => f.filename === ".env")!;
    expect(env).toMatchObject({ status: "added", additions: 2, deletions: 0, changes: 2 });
    expect(env.patch).toBe(`@@ -0,0 +1,2 @@\n+AWS_ACCESS_KEY_ID=${KEY}\n+AWS_REGION=us-east-1`);
    const png = c1.files!.find((f) => f.filename === "logo.png")!;
    expect(png.patch).toBeUndefined();
    expect(png.status).toBe("added");
    expect(c1.stats).toEqual({ additions: 2, deletions: 0, total: 2 });

    const { data: c2 } = await w.installation.repos.getCommit({ owner: "acme", repo: "payments", ref: second.after });
    const renamed = c2.files!.find((f) => f.filename === "src/main.js")!;
    expect(renamed).toMatchObject({ status: "renamed", previous_filename: "src/app.js" });
    expect(c2.files!.find((f) => f.filename === "README.md")).toMatchObject({ status: "modified", additions: 1, deletions: 1 });

    const { data: cmp } = await w.installation.repos.compareCommitsWithBasehead({ owner: "acme", repo: "payments", basehead: `${first.after}...${second.after}` });
    expect(cmp).toMatchObject({ status: "ahead", ahead_by: 2, behind_by: 0, total_commits: 2 });
    expect(cmp.commits.map((c) => c.sha)).toEqual(second.shas);
    expect(cmp.files!.map((f) => f.filename).sort()).toEqual([".env", "README.md", "logo.png", "src/main.js"]);
    const { data: back } = await w.installation.repos.compareCommitsWithBasehead({ owner: "acme", repo: "payments", basehead: `${second.after}...${first.after}` });
    expect(back).toMatchObject({ status: "behind", ahead_by: 0, behind_by: 2, total_commits: 0 });
    const err = await w.installation.repos.getCommit({ owner: "acme", repo: "payments", ref: "nope" }).catch((e) => e);
    expect(err.status).toBe(422);
  });

  it("force push is flagged forced; non-distinct commits are marked", async () => {
    const forced = await w.sim.push("acme", "payments", { branch: "main", pusher: "alice", force: true, from: first.after, commits: [{ message: "rewrite", files: { ".env": null } }] });
    await w.sim.idle();
    const p = w.hooks.of("push").at(-1)!.payload;
    expect(p).toMatchObject({ before: second.after, after: forced.after, forced: true, created: false });
    expect(p.commits.map((c: any) => c.id)).toEqual(forced.shas);
    // a new branch at the old tip: created, base_ref null (no other ref points there), its commits were pushed before → not distinct
    await w.sim.push("acme", "payments", { branch: "old", pusher: "alice", from: second.after, commits: [] });
    await w.sim.idle();
    const q = w.hooks.of("push").at(-1)!.payload;
    expect(q).toMatchObject({ ref: "refs/heads/old", before: ZERO, after: second.after, created: true });
    expect(q.commits.every((c: any) => c.distinct === false)).toBe(true);
    // a branch created at main's tip → base_ref refs/heads/main, no commits
    await w.sim.push("acme", "payments", { branch: "feature", pusher: "alice", from: forced.after, commits: [] });
    await w.sim.idle();
    const r = w.hooks.of("push").at(-1)!.payload;
    expect(r).toMatchObject({ ref: "refs/heads/feature", created: true, base_ref: "refs/heads/main", commits: [] });
    expect(r.head_commit.id).toBe(forced.after);
  });

  it("real git CLI: clone/push with an installation token, delete a branch", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ghsim-test-"));
    try {
      const url = `http://x-access-token:${w.token}@${w.sim.host}/acme/payments.git`;
      const env: Record<string, string | undefined> = { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };
      delete env.GIT_DIR;
      delete env.GIT_WORK_TREE;
      delete env.GIT_INDEX_FILE;
      await sh(`git clone -q ${url} repo`, { cwd: dir, env });
      const cwd = join(dir, "repo");
      await writeFile(join(cwd, "notes.txt"), "hello\n");
      await sh(`git add notes.txt && git -c user.name=x -c user.email=x@example.com commit -qm notes && git push -q origin HEAD:refs/heads/notes && git push -q origin :refs/heads/old`, { cwd, env });
      await w.sim.idle();
      const events = w.hooks.of("push").slice(-2).map((h) => h.payload);
      const created = events.find((e) => e.ref === "refs/heads/notes")!;
      expect(created).toMatchObject({ created: true, deleted: false });
      expect(created.pusher.name).toBe("keyfence[bot]");
      const deleted = events.find((e) => e.ref === "refs/heads/old")!;
      expect(deleted).toMatchObject({ deleted: true, created: false, after: ZERO, head_commit: null, commits: [] });
      // an annotated tag: after is the tag object, head_commit the tagged commit
      await sh(`git -c user.name=x -c user.email=x@example.com tag -a v1.0 -m release && git push -q origin v1.0`, { cwd, env });
      await w.sim.idle();
      const tag = w.hooks.of("push").at(-1)!.payload;
      const { stdout: tagSha } = await sh("git rev-parse v1.0", { cwd, env });
      const { stdout: headSha } = await sh("git rev-parse HEAD", { cwd, env });
      expect(tag).toMatchObject({ ref: "refs/tags/v1.0", created: true, after: tagSha.trim(), base_ref: "refs/heads/notes" });
      expect(tag.head_commit.id).toBe(headSha.trim());
      // a scoped read-only token can fetch but not push, and still reads metadata
      const scoped = await w.app.apps.createInstallationAccessToken({ installation_id: INSTALLATION_ID, repositories: ["payments"], permissions: { contents: "read" } });
      expect(scoped.data.permissions).toEqual({ contents: "read", metadata: "read" });
      await sh(`git fetch -q http://x-access-token:${scoped.data.token}@${w.sim.host}/acme/payments.git`, { cwd, env });
      const denied = await sh(`git push -q http://x-access-token:${scoped.data.token}@${w.sim.host}/acme/payments.git HEAD:refs/heads/y`, { cwd, env }).catch((e) => e);
      expect(String(denied.stderr)).toMatch(/403|denied/);
      // anonymous push is refused
      const anon = await sh(`git push -q http://${w.sim.host}/acme/payments.git HEAD:refs/heads/x`, { cwd, env }).catch((e) => e);
      expect(anon.code).not.toBe(0);
      // a read-only user cannot push
      w.sim.setCollaborator("acme", "payments", "erin", "read");
      const ro = await sh(`git push -q http://erin:${w.sim.userToken("erin")}@${w.sim.host}/acme/payments.git HEAD:refs/heads/x`, { cwd, env }).catch((e) => e);
      expect(String(ro.stderr)).toMatch(/403|denied/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("contents API: base64 JSON, raw media type, 404; Probot context.config with org fallback", async () => {
    await w.sim.setFile("acme", "payments", ".github/keyfence.yml", "labels: [leak]\n");
    const { data } = await w.installation.repos.getContent({ owner: "acme", repo: "payments", path: ".github/keyfence.yml" });
    expect(Array.isArray(data)).toBe(false);
    const file = data as { content: string; encoding: string; type: string };
    expect(file.type).toBe("file");
    expect(Buffer.from(file.content, "base64").toString()).toBe("labels: [leak]\n");
    const raw = await w.installation.repos.getContent({ owner: "acme", repo: "payments", path: ".github/keyfence.yml", mediaType: { format: "raw" } });
    expect(raw.data).toBe("labels: [leak]\n");
    await expect(w.installation.repos.getContent({ owner: "acme", repo: "payments", path: "nope.txt" })).rejects.toMatchObject({ status: 404 });
    const dir = await w.installation.repos.getContent({ owner: "acme", repo: "payments", path: "" });
    expect((dir.data as Array<{ name: string }>).map((e) => e.name)).toContain(".github");
    // setFile does not deliver a webhook
    const before = w.sim.deliveries.length;
    await w.sim.setFile("acme", "payments", "x.txt", "x");
    await w.sim.idle();
    expect(w.sim.deliveries.length).toBe(before);

    await w.sim.addRepo("acme", ".github");
    await w.sim.setFile("acme", ".github", ".github/keyfence.yml", "labels: [org-default]\n");
    await w.sim.addRepo("acme", "web");
    w.sim.setCollaborator("acme", "web", "bob", "write");
    await w.sim.push("acme", "web", { branch: "main", pusher: "bob", commits: [{ message: "x", files: { "a.txt": "a" } }] });
    await w.sim.idle();

    const seen: Array<{ repo: string; config: unknown; files: string[] }> = [];
    const probot = new Probot({ appId: APP_ID, privateKey: privateKeyPem, secret: w.secret, baseUrl: w.sim.apiUrl, Octokit: ProbotOctokit, logLevel: "warn" });
    const middleware = await createNodeMiddleware((app) => {
      app.on("push", async (ctx) => {
        const config = await ctx.config("keyfence.yml");
        const commit = await ctx.octokit.rest.repos.getCommit(ctx.repo({ ref: ctx.payload.after }));
        seen.push({ repo: ctx.payload.repository.name, config, files: (commit.data.files ?? []).map((f) => f.filename) });
      });
    }, { probot, webhooksPath: "/api/github/webhooks" });
    const server = createServer((req, res) => void middleware(req, res, () => { res.writeHead(404); res.end(); }));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      w.sim.setWebhookUrl(`http://127.0.0.1:${port}/api/github/webhooks`);
      await w.sim.push("acme", "payments", { branch: "main", pusher: "bob", commits: [{ message: "leak", files: { "k.txt": KEY } }] });
      await w.sim.push("acme", "web", { branch: "main", pusher: "bob", commits: [{ message: "leak2", files: { "k.txt": KEY } }] });
      await w.sim.idle();
      expect(w.sim.deliveries.filter((d) => d.event === "push").slice(-2).map((d) => d.status)).toEqual([200, 200]);
      expect(seen).toEqual([
        { repo: "payments", config: { labels: ["leak"] }, files: ["k.txt"] },
        { repo: "web", config: { labels: ["org-default"] }, files: ["k.txt"] },
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      w.sim.setWebhookUrl(w.hooks.url);
    }
  });
});
