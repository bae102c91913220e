/** Shared issue model helpers: lookups, labels, assignees, reactions, and the issues / issue_comment webhooks. */
import { ApiError, notFound, validationFailed } from "../errors.js";
import type { Ctx } from "../core.js";
import { comment, issue, label, reaction, simpleUser } from "../shapes.js";
import type { SimComment, SimIssue, SimLabel, SimRepo, SimState } from "../state.js";
import type { SimCore } from "../core.js";

export const MAX_BODY = 65536;
export const MAX_TITLE = 256;
export function checkLength(resource: string, field: string, value: unknown, max: number) {
  if (typeof value === "string" && value.length > max)
    throw validationFailed([{ resource, code: "custom", field, message: `${field} is too long (maximum is ${max} characters)` }]);
}

export const REACTIONS = ["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"];

export const canPush = (ctx: Ctx, repo: SimRepo) =>
  ctx.principal.kind === "installation" ||
  (ctx.principal.kind === "user" && ["admin", "maintain", "write", "triage"].includes(ctx.core.state.roleOf(repo, ctx.principal.login) ?? ""));

/** GitHub's answer for an issue that was deleted, to anyone who can read the repository. */
export const issueGone = () => new ApiError(410, "This issue was deleted", {}, {}, "https://docs.github.com/rest/issues/issues#get-an-issue");

export function findIssue(repo: SimRepo, n: string | number): SimIssue {
  const i = repo.issues.find((x) => x.number === Number(n));
  if (!i) throw repo.deletedIssues?.has(Number(n)) ? issueGone() : notFound();
  return i;
}

/** Issue numbers are never reused, not even a deleted issue's. */
export function nextIssueNumber(repo: SimRepo): number {
  return Math.max(0, ...repo.issues.map((i) => i.number), ...(repo.deletedIssues?.keys() ?? [])) + 1;
}

export const LOCK_REASONS = ["off-topic", "too heated", "resolved", "spam"];
export const LOCKED_DOCS = "https://docs.github.com/articles/locking-conversations/";

/**
 * Who may comment on a locked conversation: "only people with write access and repository owners
 * and collaborators" (GitHub's docs). A GitHub App's installation token is refused, whatever its
 * `issues` permission (what GitHub answers apps: 403 "Unable to create comment because issue is locked.").
 */
export function mayCommentWhenLocked(state: SimState, repo: SimRepo, principal: Ctx["principal"] | { kind: "user"; login: string }): boolean {
  return principal.kind === "user" && !!state.roleOf(repo, principal.login);
}
export const issueLocked = () => new ApiError(403, "Unable to create comment because issue is locked.", {}, {}, LOCKED_DOCS);
export function findComment(repo: SimRepo, id: string | number): { issue: SimIssue; c: SimComment } {
  for (const issue of repo.issues) {
    const c = issue.comments.find((x) => x.id === Number(id));
    if (c) return { issue, c };
  }
  throw notFound();
}

export function ensureLabel(state: SimState, repo: SimRepo, name: string): SimLabel {
  let l = repo.labels.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!l) {
    l = { id: state.nextId("label", 5000000), name, color: "ededed", description: null, default: false };
    repo.labels.push(l);
  }
  return l;
}

export const labelNames = (v: unknown): string[] =>
  (Array.isArray(v) ? v : []).map((x) => (typeof x === "string" ? x : String((x as { name?: string })?.name ?? ""))).filter(Boolean);

export function emitIssue(core: SimCore, repo: SimRepo, i: SimIssue, action: string, sender: string, extra: Record<string, unknown> = {}) {
  core.emit("issues", repo, sender, { action, issue: issue(core.urls, repo, i, core.state), ...extra });
}
export function emitComment(core: SimCore, repo: SimRepo, i: SimIssue, c: SimComment, action: string, sender: string, extra: Record<string, unknown> = {}) {
  core.emit("issue_comment", repo, sender, { action, issue: issue(core.urls, repo, i, core.state), comment: comment(core.urls, repo, c, core.state), ...extra });
}

/** Create a comment (shared by REST and sim.comment()). */
export function addComment(core: SimCore, repo: SimRepo, i: SimIssue, login: string, body: string, viaApp: boolean): SimComment {
  const now = new Date();
  const c: SimComment = { id: core.state.nextId("comment", 1_000_000_000), issueNumber: i.number, user: login, body, viaApp, createdAt: now, updatedAt: now, reactions: [] };
  i.comments.push(c);
  i.updatedAt = now;
  emitComment(core, repo, i, c, "created", login);
  return c;
}

export function setLabels(core: SimCore, repo: SimRepo, i: SimIssue, names: string[], sender: string) {
  const resolved = names.map((n) => ensureLabel(core.state, repo, n).name);
  const removed = i.labels.filter((l) => !resolved.includes(l));
  const added = resolved.filter((l) => !i.labels.includes(l));
  i.labels = [...new Set(resolved)];
  const lab = (n: string) => label(core.urls, repo, repo.labels.find((l) => l.name === n)!);
  for (const n of removed) emitIssue(core, repo, i, "unlabeled", sender, { label: lab(n) });
  for (const n of added) emitIssue(core, repo, i, "labeled", sender, { label: lab(n) });
}

export function assignable(state: SimState, repo: SimRepo, login: string) {
  const u = state.getUser(login);
  return !!u && ["admin", "maintain", "write", "triage"].includes(state.roleOf(repo, u.login) ?? "");
}

export function setAssignees(core: SimCore, repo: SimRepo, i: SimIssue, logins: string[], sender: string) {
  const canonical = logins.map((l) => core.state.getUser(l)!.login);
  const removed = i.assignees.filter((l) => !canonical.includes(l));
  const added = canonical.filter((l) => !i.assignees.includes(l));
  i.assignees = [...new Set(canonical)];
  const user = (l: string) => simpleUser(core.urls, core.state.ensureUser(l));
  for (const l of removed) emitIssue(core, repo, i, "unassigned", sender, { assignee: user(l) });
  for (const l of added) emitIssue(core, repo, i, "assigned", sender, { assignee: user(l) });
}

export function react(ctx: Ctx, target: { reactions: SimIssue["reactions"] }) {
  const login = ctx.core.requireActor(ctx);
  const content = ctx.body?.content;
  if (!REACTIONS.includes(content))
    throw validationFailed([{ resource: "Reaction", code: "custom", field: "content", message: "content is not included in the list" }]);
  const existing = target.reactions.find((r) => r.user === login && r.content === content);
  if (existing) return { status: 200, body: reaction(ctx.core.urls, existing, ctx.core.state) };
  const r = { id: ctx.core.state.nextId("reaction", 100_000_000), user: login, content, createdAt: new Date() };
  target.reactions.push(r);
  return { status: 201, body: reaction(ctx.core.urls, r, ctx.core.state) };
}

export const W: [string, "write", "read"] = ["issues", "write", "read"];
export const R: [string, "read", "read"] = ["issues", "read", "read"];
