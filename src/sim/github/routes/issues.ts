/** Issues: create, list, get, update, assignees. */
import { ApiError, validationFailed } from "../errors.js";
import { paginate, type Route } from "../core.js";
import { issue } from "../shapes.js";
import type { SimIssue } from "../state.js";
import { assignable, canPush, checkLength, emitIssue, ensureLabel, findIssue, labelNames, LOCK_REASONS, MAX_BODY, MAX_TITLE, nextIssueNumber, R, setAssignees, setLabels, W } from "./issue-model.js";

export const issueRoutes: Route[] = [
  { method: "POST", pattern: "/repos/:owner/:repo/issues", handler: (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, W);
    const login = core.requireActor(ctx);
    const b = (ctx.body ?? {}) as Record<string, unknown>;
    if (b.title === undefined || b.title === null || b.title === "") throw new ApiError(422, 'Invalid request.\n\n"title" wasn\'t supplied.');
    checkLength("Issue", "title", b.title, MAX_TITLE);
    checkLength("Issue", "body", b.body, MAX_BODY);
    const push = canPush(ctx, repo);
    const assignees = push ? [...new Set([...(Array.isArray(b.assignees) ? b.assignees.map(String) : []), ...(typeof b.assignee === "string" ? [b.assignee] : [])])] : [];
    for (const a of assignees)
      if (!assignable(core.state, repo, a)) throw validationFailed([{ value: a, resource: "Issue", field: "assignees", code: "invalid" }]);
    const now = new Date();
    const i: SimIssue = {
      id: core.state.nextId("issue", 3_000_000_000), number: nextIssueNumber(repo), title: String(b.title),
      body: typeof b.body === "string" ? b.body : null, state: "open", stateReason: null, labels: [], assignees: [],
      user: login, viaApp: ctx.principal.kind === "installation", locked: false, createdAt: now, updatedAt: now,
      closedAt: null, closedBy: null, comments: [], reactions: [],
    };
    repo.issues.push(i);
    const labels = push ? labelNames(b.labels).map((n) => ensureLabel(core.state, repo, n).name) : [];
    i.labels = [...new Set(labels)];
    i.assignees = assignees.map((a) => core.state.getUser(a)!.login);
    emitIssue(core, repo, i, "opened", login);
    return { status: 201, body: issue(core.urls, repo, i, core.state), headers: { Location: `${core.urls.api}/repos/${repo.owner}/${repo.name}/issues/${i.number}` } };
  } },
  { method: "GET", pattern: "/repos/:owner/:repo/issues", handler: (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, R);
    const q = ctx.query;
    const state = q.get("state") ?? "open";
    let list = repo.issues.filter((i) => state === "all" || i.state === state);
    const labels = (q.get("labels") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    if (labels.length) list = list.filter((i) => labels.every((l) => i.labels.some((x) => x.toLowerCase() === l.toLowerCase())));
    const creator = q.get("creator");
    if (creator) list = list.filter((i) => i.user.toLowerCase() === creator.toLowerCase());
    const assignee = q.get("assignee");
    if (assignee === "none") list = list.filter((i) => i.assignees.length === 0);
    else if (assignee === "*") list = list.filter((i) => i.assignees.length > 0);
    else if (assignee) list = list.filter((i) => i.assignees.some((a) => a.toLowerCase() === assignee.toLowerCase()));
    const since = q.get("since");
    if (since) list = list.filter((i) => i.updatedAt >= new Date(since));
    const sort = q.get("sort") ?? "created";
    const key = (i: SimIssue) => (sort === "updated" ? i.updatedAt.getTime() : sort === "comments" ? i.comments.length : i.createdAt.getTime() * 1e4 + i.number);
    list = [...list].sort((a, b) => key(a) - key(b));
    if ((q.get("direction") ?? "desc") === "desc") list.reverse();
    const { items, headers } = paginate(ctx, list);
    return { status: 200, headers, body: items.map((i) => issue(core.urls, repo, i, core.state)) };
  } },
  { method: "GET", pattern: "/repos/:owner/:repo/issues/:number", handler: (ctx) => {
    const repo = ctx.core.repo(ctx, R);
    return { status: 200, body: issue(ctx.core.urls, repo, findIssue(repo, ctx.params.number), ctx.core.state) };
  } },
  { method: "PATCH", pattern: "/repos/:owner/:repo/issues/:number", handler: (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, W);
    const login = core.requireActor(ctx);
    const i = findIssue(repo, ctx.params.number);
    const b = (ctx.body ?? {}) as Record<string, any>;
    const isAuthor = i.user === login;
    checkLength("Issue", "title", b.title, MAX_TITLE);
    checkLength("Issue", "body", b.body, MAX_BODY);
    if (!canPush(ctx, repo) && !isAuthor) throw new ApiError(403, "Must have push access to update issue.");
    const changes: Record<string, unknown> = {};
    if (typeof b.title === "string" && b.title !== i.title) { changes.title = { from: i.title }; i.title = b.title; }
    if (b.body !== undefined && b.body !== i.body) { changes.body = { from: i.body ?? "" }; i.body = b.body; }
    if (b.state !== undefined && !["open", "closed"].includes(b.state))
      throw validationFailed([{ resource: "Issue", code: "invalid", field: "state" }]);
    if (b.state_reason !== undefined && b.state_reason !== null && !["completed", "not_planned", "reopened", "duplicate"].includes(b.state_reason))
      throw validationFailed([{ resource: "Issue", code: "invalid", field: "state_reason" }]);
    i.updatedAt = new Date();
    if (Object.keys(changes).length) emitIssue(core, repo, i, "edited", login, { changes });
    if (canPush(ctx, repo)) {
      if (b.labels !== undefined) setLabels(core, repo, i, labelNames(b.labels), login);
      const assignees = b.assignees !== undefined ? (b.assignees ?? []).map(String) : b.assignee !== undefined ? (b.assignee ? [String(b.assignee)] : []) : undefined;
      if (assignees) setAssignees(core, repo, i, assignees.filter((a: string) => assignable(core.state, repo, a)), login);
    }
    if (b.state === "closed" && i.state === "open") {
      i.state = "closed"; i.stateReason = b.state_reason ?? "completed"; i.closedAt = new Date(); i.closedBy = login;
      emitIssue(core, repo, i, "closed", login);
    } else if (b.state === "open" && i.state === "closed") {
      i.state = "open"; i.stateReason = "reopened"; i.closedAt = null; i.closedBy = null;
      emitIssue(core, repo, i, "reopened", login);
    } else if (b.state_reason !== undefined && i.state === "closed") i.stateReason = b.state_reason;
    return { status: 200, body: issue(core.urls, repo, i, core.state) };
  } },
  // Lock / unlock a conversation: "users with push access" (an app: issues write). 204, and `issues` locked / unlocked.
  { method: "PUT", pattern: "/repos/:owner/:repo/issues/:number/lock", handler: (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, W);
    const login = core.requireActor(ctx);
    const i = findIssue(repo, ctx.params.number);
    if (!canPush(ctx, repo)) throw new ApiError(403, "Must have push access to lock an issue.");
    const reason = (ctx.body ?? {}).lock_reason;
    if (reason !== undefined && reason !== null && !LOCK_REASONS.includes(reason))
      throw validationFailed([{ resource: "Issue", code: "invalid", field: "lock_reason" }]);
    if (!i.locked) {
      i.locked = true;
      i.lockReason = reason ?? null;
      i.updatedAt = new Date();
      emitIssue(core, repo, i, "locked", login);
    }
    return { status: 204 };
  } },
  { method: "DELETE", pattern: "/repos/:owner/:repo/issues/:number/lock", handler: (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, W);
    const login = core.requireActor(ctx);
    const i = findIssue(repo, ctx.params.number);
    if (!canPush(ctx, repo)) throw new ApiError(403, "Must have push access to unlock an issue.");
    if (i.locked) {
      i.locked = false;
      i.lockReason = null;
      i.updatedAt = new Date();
      emitIssue(core, repo, i, "unlocked", login);
    }
    return { status: 204 };
  } },
  { method: "POST", pattern: "/repos/:owner/:repo/issues/:number/assignees", handler: (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, W);
    const login = core.requireActor(ctx);
    const i = findIssue(repo, ctx.params.number);
    const want = (Array.isArray(ctx.body?.assignees) ? ctx.body.assignees : []).map(String).filter((a: string) => assignable(core.state, repo, a));
    if (canPush(ctx, repo)) setAssignees(core, repo, i, [...i.assignees, ...want.map((a: string) => core.state.getUser(a)!.login)].slice(0, 10), login);
    return { status: 201, body: issue(core.urls, repo, i, core.state) };
  } },
  { method: "DELETE", pattern: "/repos/:owner/:repo/issues/:number/assignees", handler: (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, W);
    const login = core.requireActor(ctx);
    const i = findIssue(repo, ctx.params.number);
    const drop = (Array.isArray(ctx.body?.assignees) ? ctx.body.assignees : []).map((a: unknown) => String(a).toLowerCase());
    if (canPush(ctx, repo)) setAssignees(core, repo, i, i.assignees.filter((a) => !drop.includes(a.toLowerCase())), login);
    return { status: 200, body: issue(core.urls, repo, i, core.state) };
  } },
];
