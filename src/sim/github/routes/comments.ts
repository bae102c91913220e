/** Issue comments and reactions. */
import { ApiError } from "../errors.js";
import { paginate, type Route } from "../core.js";
import { comment, reaction } from "../shapes.js";
import { addComment, canPush, checkLength, emitComment, findComment, findIssue, issueLocked, MAX_BODY, mayCommentWhenLocked, R, react, W } from "./issue-model.js";

/** Must be routed before issueRoutes (`/issues/comments` vs `/issues/:number`). */
export const commentRoutes: Route[] = [
  { method: "GET", pattern: "/repos/:owner/:repo/issues/comments", handler: (ctx) => {
    const repo = ctx.core.repo(ctx, R);
    const all = repo.issues.flatMap((i) => i.comments).sort((a, b) => a.id - b.id);
    const { items, headers } = paginate(ctx, all);
    return { status: 200, headers, body: items.map((c) => comment(ctx.core.urls, repo, c, ctx.core.state)) };
  } },
  { method: "GET", pattern: "/repos/:owner/:repo/issues/comments/:id", handler: (ctx) => {
    const repo = ctx.core.repo(ctx, R);
    return { status: 200, body: comment(ctx.core.urls, repo, findComment(repo, ctx.params.id).c, ctx.core.state) };
  } },
  { method: "PATCH", pattern: "/repos/:owner/:repo/issues/comments/:id", handler: (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, W);
    const login = core.requireActor(ctx);
    const { issue: i, c } = findComment(repo, ctx.params.id);
    if (ctx.principal.kind === "user" && c.user !== login && !canPush(ctx, repo)) throw new ApiError(403, "Must have push access to edit this comment.");
    if (typeof ctx.body?.body !== "string") throw new ApiError(422, 'Invalid request.\n\n"body" wasn\'t supplied.');
    checkLength("IssueComment", "body", ctx.body.body, MAX_BODY);
    const old = c.body;
    c.body = ctx.body.body;
    c.updatedAt = new Date();
    emitComment(core, repo, i, c, "edited", login, { changes: { body: { from: old } } });
    return { status: 200, body: comment(core.urls, repo, c, core.state) };
  } },
  { method: "DELETE", pattern: "/repos/:owner/:repo/issues/comments/:id", handler: (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, W);
    const login = core.requireActor(ctx);
    const { issue: i, c } = findComment(repo, ctx.params.id);
    i.comments = i.comments.filter((x) => x !== c);
    emitComment(core, repo, i, c, "deleted", login);
    return { status: 204 };
  } },
  { method: "POST", pattern: "/repos/:owner/:repo/issues/comments/:id/reactions", handler: (ctx) => {
    const repo = ctx.core.repo(ctx, W);
    return react(ctx, findComment(repo, ctx.params.id).c);
  } },
  { method: "GET", pattern: "/repos/:owner/:repo/issues/comments/:id/reactions", handler: (ctx) => {
    const repo = ctx.core.repo(ctx, R);
    let list = findComment(repo, ctx.params.id).c.reactions;
    const content = ctx.query.get("content");
    if (content) list = list.filter((r) => r.content === content);
    const { items, headers } = paginate(ctx, list);
    return { status: 200, headers, body: items.map((r) => reaction(ctx.core.urls, r, ctx.core.state)) };
  } },
  { method: "GET", pattern: "/repos/:owner/:repo/issues/:number/comments", handler: (ctx) => {
    const repo = ctx.core.repo(ctx, R);
    let list = findIssue(repo, ctx.params.number).comments;
    const since = ctx.query.get("since");
    if (since) list = list.filter((c) => c.updatedAt >= new Date(since));
    const { items, headers } = paginate(ctx, list);
    return { status: 200, headers, body: items.map((c) => comment(ctx.core.urls, repo, c, ctx.core.state)) };
  } },
  { method: "POST", pattern: "/repos/:owner/:repo/issues/:number/comments", handler: (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, W);
    const login = core.requireActor(ctx);
    const i = findIssue(repo, ctx.params.number);
    if (typeof ctx.body?.body !== "string" || !ctx.body.body) throw new ApiError(422, 'Invalid request.\n\n"body" wasn\'t supplied.');
    checkLength("IssueComment", "body", ctx.body.body, MAX_BODY);
    if (i.locked && !mayCommentWhenLocked(core.state, repo, ctx.principal)) throw issueLocked();
    const c = addComment(core, repo, i, login, ctx.body.body, ctx.principal.kind === "installation");
    return { status: 201, body: comment(core.urls, repo, c, core.state), headers: { Location: `${core.urls.api}/repos/${repo.owner}/${repo.name}/issues/comments/${c.id}` } };
  } },
  { method: "POST", pattern: "/repos/:owner/:repo/issues/:number/reactions", handler: (ctx) => {
    const repo = ctx.core.repo(ctx, W);
    return react(ctx, findIssue(repo, ctx.params.number));
  } },
  { method: "GET", pattern: "/repos/:owner/:repo/issues/:number/reactions", handler: (ctx) => {
    const repo = ctx.core.repo(ctx, R);
    const { items, headers } = paginate(ctx, findIssue(repo, ctx.params.number).reactions);
    return { status: 200, headers, body: items.map((r) => reaction(ctx.core.urls, r, ctx.core.state)) };
  } },
];
