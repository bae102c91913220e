/** Repository labels and labels on issues. */
import { ApiError, notFound, validationFailed } from "../errors.js";
import { paginate, type Route } from "../core.js";
import { label } from "../shapes.js";
import type { SimLabel } from "../state.js";
import { canPush, checkLength, findIssue, labelNames, R, setLabels, W } from "./issue-model.js";

export const labelRoutes: Route[] = [
  { method: "GET", pattern: "/repos/:owner/:repo/issues/:number/labels", handler: (ctx) => {
    const repo = ctx.core.repo(ctx, R);
    const i = findIssue(repo, ctx.params.number);
    const { items, headers } = paginate(ctx, i.labels.map((n) => repo.labels.find((l) => l.name === n)!));
    return { status: 200, headers, body: items.map((l) => label(ctx.core.urls, repo, l)) };
  } },
  { method: "POST", pattern: "/repos/:owner/:repo/issues/:number/labels", handler: (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, W);
    const login = core.requireActor(ctx);
    const i = findIssue(repo, ctx.params.number);
    const names = labelNames(Array.isArray(ctx.body) ? ctx.body : ctx.body?.labels);
    if (!names.length) throw validationFailed([{ resource: "Label", code: "missing_field", field: "labels" }]);
    if (canPush(ctx, repo)) setLabels(core, repo, i, [...i.labels, ...names], login);
    return { status: 200, body: i.labels.map((n) => label(core.urls, repo, repo.labels.find((l) => l.name === n)!)) };
  } },
  { method: "PUT", pattern: "/repos/:owner/:repo/issues/:number/labels", handler: (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, W);
    const login = core.requireActor(ctx);
    const i = findIssue(repo, ctx.params.number);
    if (canPush(ctx, repo)) setLabels(core, repo, i, labelNames(Array.isArray(ctx.body) ? ctx.body : ctx.body?.labels), login);
    return { status: 200, body: i.labels.map((n) => label(core.urls, repo, repo.labels.find((l) => l.name === n)!)) };
  } },
  { method: "DELETE", pattern: "/repos/:owner/:repo/issues/:number/labels/:name", handler: (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, W);
    const login = core.requireActor(ctx);
    const i = findIssue(repo, ctx.params.number);
    if (!i.labels.some((l) => l.toLowerCase() === ctx.params.name.toLowerCase())) throw new ApiError(404, "Label does not exist");
    setLabels(core, repo, i, i.labels.filter((l) => l.toLowerCase() !== ctx.params.name.toLowerCase()), login);
    return { status: 200, body: i.labels.map((n) => label(core.urls, repo, repo.labels.find((l) => l.name === n)!)) };
  } },
  { method: "GET", pattern: "/repos/:owner/:repo/labels", handler: (ctx) => {
    const repo = ctx.core.repo(ctx, R);
    const { items, headers } = paginate(ctx, repo.labels);
    return { status: 200, headers, body: items.map((l) => label(ctx.core.urls, repo, l)) };
  } },
  { method: "GET", pattern: "/repos/:owner/:repo/labels/:name", handler: (ctx) => {
    const repo = ctx.core.repo(ctx, R);
    const l = repo.labels.find((x) => x.name.toLowerCase() === ctx.params.name.toLowerCase());
    if (!l) throw notFound();
    return { status: 200, body: label(ctx.core.urls, repo, l) };
  } },
  { method: "POST", pattern: "/repos/:owner/:repo/labels", handler: (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, W);
    if (ctx.principal.kind === "user" && !canPush(ctx, repo)) throw notFound();
    const b = (ctx.body ?? {}) as Record<string, unknown>;
    if (typeof b.name !== "string" || !b.name) throw validationFailed([{ resource: "Label", code: "missing_field", field: "name" }]);
    checkLength("Label", "name", b.name, 50);
    const color = typeof b.color === "string" ? b.color.replace(/^#/, "") : "ededed";
    if (!/^[0-9a-fA-F]{6}$/.test(color)) throw validationFailed([{ resource: "Label", code: "invalid", field: "color" }]);
    if (repo.labels.some((l) => l.name.toLowerCase() === String(b.name).toLowerCase()))
      throw validationFailed([{ resource: "Label", code: "already_exists", field: "name" }]);
    const l: SimLabel = { id: core.state.nextId("label", 5000000), name: b.name, color: color.toLowerCase(), description: typeof b.description === "string" ? b.description : null, default: false };
    repo.labels.push(l);
    return { status: 201, body: label(core.urls, repo, l) };
  } },
];
