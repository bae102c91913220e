import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { userOctokit, world, type World } from "./helpers.js";

const O = { owner: "acme", repo: "payments" };

describe("github sim: issues, comments, labels, reactions, permissions", () => {
  let w: World;
  beforeAll(async () => { w = await world(); });
  afterAll(async () => { await w?.close(); });

  it("an installation creates an issue as <slug>[bot] and the app receives issues.opened", async () => {
    const { data, status, headers } = await w.installation.issues.create({ ...O, title: "AWS key leaked", body: "details", labels: ["security", "keyfence"], assignees: ["alice"] });
    expect(status).toBe(201);
    expect(headers.location).toBe(`${w.sim.apiUrl}/repos/acme/payments/issues/1`);
    expect(data).toMatchObject({ number: 1, state: "open", title: "AWS key leaked", body: "details", user: { login: "keyfence[bot]", type: "Bot" } });
    expect(data.performed_via_github_app?.slug).toBe("keyfence");
    expect(data.labels.map((l) => (typeof l === "string" ? l : l.name))).toEqual(["security", "keyfence"]);
    expect(data.assignees?.map((a) => a.login)).toEqual(["alice"]);
    expect(w.sim.labels("acme", "payments")).toEqual(["security", "keyfence"]);
    await w.sim.idle();
    expect(w.hooks.of("issues").map((h) => h.payload.action)).toEqual(["opened"]);
    expect(w.hooks.of("issues")[0].payload.sender.login).toBe("keyfence[bot]");
    const bad = await w.installation.issues.create({ ...O, title: "x", assignees: ["nobody-here"] }).catch((e) => e);
    expect(bad.status).toBe(422);
    expect(bad.response.data.errors[0]).toMatchObject({ field: "assignees", code: "invalid", value: "nobody-here" });
    const noTitle = await w.installation.request("POST /repos/{owner}/{repo}/issues", { ...O, body: "no title" } as never).catch((e: any) => e);
    expect(noTitle.status).toBe(422);
  });

  it("lists with filters and Link pagination", async () => {
    for (let i = 0; i < 4; i++) await w.installation.issues.create({ ...O, title: `bulk ${i}`, labels: i % 2 ? ["bulk"] : [] });
    await userOctokit(w.sim, "erin").issues.create({ ...O, title: "from erin", labels: ["ignored"] });
    const p1 = await w.installation.issues.listForRepo({ ...O, per_page: 2 });
    expect(p1.data.map((i) => i.number)).toEqual([6, 5]);
    expect(p1.headers.link).toContain('rel="next"');
    expect(p1.headers.link).toContain('rel="last"');
    const all = await w.installation.paginate(w.installation.issues.listForRepo, { ...O, per_page: 2 });
    expect(all.map((i) => i.number)).toEqual([6, 5, 4, 3, 2, 1]);
    const bulk = await w.installation.issues.listForRepo({ ...O, labels: "bulk" });
    expect(bulk.data.map((i) => i.number)).toEqual([5, 3]);
    const byErin = await w.installation.issues.listForRepo({ ...O, creator: "erin" });
    expect(byErin.data.map((i) => i.title)).toEqual(["from erin"]);
    expect(byErin.data[0].labels).toEqual([]); // labels silently dropped without push access
    expect(byErin.data[0].author_association).toBe("NONE");
  });

  it("updates, closes with state_reason and reopens", async () => {
    const { data } = await w.installation.issues.update({ ...O, issue_number: 2, state: "closed", state_reason: "not_planned", labels: ["bulk", "wontfix"], body: "edited" });
    expect(data).toMatchObject({ state: "closed", state_reason: "not_planned", body: "edited" });
    expect(data.closed_by?.login).toBe("keyfence[bot]");
    expect(data.closed_at).toMatch(/Z$/);
    const closed = await w.installation.issues.listForRepo({ ...O, state: "closed" });
    expect(closed.data.map((i) => i.number)).toEqual([2]);
    const { data: re } = await w.installation.issues.update({ ...O, issue_number: 2, state: "open" });
    expect(re).toMatchObject({ state: "open", state_reason: "reopened", closed_at: null });
    await w.sim.idle();
    const actions = w.hooks.of("issues").filter((h) => h.payload.issue.number === 2).map((h) => h.payload.action);
    expect(actions).toEqual(expect.arrayContaining(["opened", "edited", "labeled", "closed", "reopened"]));
    await expect(w.installation.issues.get({ ...O, issue_number: 99 })).rejects.toMatchObject({ status: 404 });
  });

  it("comments round-trip; sim.comment delivers issue_comment.created as the user; edits deliver edited", async () => {
    const c = await w.installation.issues.createComment({ ...O, issue_number: 1, body: "Key deactivated." });
    expect(c.status).toBe(201);
    expect(c.data.user?.login).toBe("keyfence[bot]");
    const { id } = await w.sim.comment("acme", "payments", 1, "carol", "/rotate");
    await w.sim.editComment("acme", "payments", id, "carol", "/rotate now");
    await w.sim.idle();
    const hooks = w.hooks.of("issue_comment").map((h) => h.payload);
    const created = hooks.find((p) => p.action === "created" && p.comment.id === id)!;
    expect(created).toMatchObject({ issue: { number: 1 }, comment: { body: "/rotate", user: { login: "carol", type: "User" }, author_association: "COLLABORATOR" }, sender: { login: "carol" }, installation: { id: 77 } });
    const edited = hooks.find((p) => p.action === "edited")!;
    expect(edited).toMatchObject({ comment: { id, body: "/rotate now" }, changes: { body: { from: "/rotate" } } });
    expect(hooks.find((p) => p.comment.user.login === "keyfence[bot]")?.action).toBe("created"); // the app sees its own comments too
    const list = await w.installation.issues.listComments({ ...O, issue_number: 1 });
    expect(list.data.map((x) => x.body)).toEqual(["Key deactivated.", "/rotate now"]);
    const r1 = await w.installation.reactions.createForIssueComment({ ...O, comment_id: id, content: "eyes" });
    expect(r1.status).toBe(201);
    const r2 = await w.installation.reactions.createForIssueComment({ ...O, comment_id: id, content: "eyes" });
    expect(r2.status).toBe(200);
    expect(r2.data.id).toBe(r1.data.id);
    await w.installation.reactions.createForIssueComment({ ...O, comment_id: id, content: "rocket" });
    const bad = await w.installation.reactions.createForIssueComment({ ...O, comment_id: id, content: "nope" as never }).catch((e) => e);
    expect(bad.status).toBe(422);
    const issue = w.sim.issues("acme", "payments")[0];
    expect(issue.comments.map((x) => x.user)).toEqual(["keyfence[bot]", "carol"]);
    expect(issue.reactions).toEqual(["eyes", "rocket"]);
  });

  it("labels and assignees endpoints", async () => {
    const l = await w.installation.issues.createLabel({ ...O, name: "leaked-key", color: "b60205", description: "A credential leaked" });
    expect(l.status).toBe(201);
    expect(l.data).toMatchObject({ name: "leaked-key", color: "b60205", default: false });
    const dup = await w.installation.issues.createLabel({ ...O, name: "Leaked-Key", color: "b60205" }).catch((e) => e);
    expect(dup.status).toBe(422);
    expect(dup.response.data.errors).toEqual([{ resource: "Label", code: "already_exists", field: "name" }]);
    const added = await w.installation.issues.addLabels({ ...O, issue_number: 3, labels: ["leaked-key", "brand-new"] });
    expect(added.data.map((x) => x.name)).toEqual(["bulk", "leaked-key", "brand-new"]);
    const labels = await w.installation.issues.listLabelsForRepo({ ...O, per_page: 100 });
    expect(labels.data.map((x) => x.name)).toContain("brand-new");
    const a = await w.installation.issues.addAssignees({ ...O, issue_number: 3, assignees: ["bob", "not-a-collaborator"] });
    expect(a.status).toBe(201);
    expect(a.data.assignees?.map((x) => x.login)).toEqual(["bob"]);
  });

  it("collaborator permission uses GitHub's lossy mapping", async () => {
    const cases: Array<[string, string, string]> = [["alice", "admin", "admin"], ["carol", "write", "maintain"], ["bob", "write", "write"], ["dave", "read", "triage"], ["acme", "admin", "admin"]];
    w.sim.setCollaborator("acme", "payments", "erin", "read");
    cases.push(["erin", "read", "read"]);
    for (const [login, permission, role] of cases) {
      const { data } = await w.installation.repos.getCollaboratorPermissionLevel({ ...O, username: login });
      expect({ login, permission: data.permission, role: data.role_name }).toEqual({ login, permission, role });
      expect(data.user?.login).toBe(login);
    }
    w.sim.addUser("mallory");
    const { data } = await w.installation.repos.getCollaboratorPermissionLevel({ ...O, username: "mallory" });
    expect(data).toMatchObject({ permission: "read", role_name: "read" }); // public repo: everyone can read
    await w.sim.addRepo("acme", "closed-source", { private: true });
    const priv = await w.installation.repos.getCollaboratorPermissionLevel({ owner: "acme", repo: "closed-source", username: "mallory" });
    expect(priv.data.permission).toBe("none");
    await expect(w.installation.repos.getCollaboratorPermissionLevel({ ...O, username: "ghost-user" })).rejects.toMatchObject({ status: 404 });
    const u = await w.installation.users.getByUsername({ username: "alice" });
    expect(u.data).toMatchObject({ login: "alice", type: "User" });
  });
});
