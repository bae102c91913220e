/** Check runs. */
import { ApiError, notFound, validationFailed } from "../errors.js";
import { resolveCommit } from "../git.js";
import { paginate, type Ctx, type Route } from "../core.js";
import { integration, iso, nodeId } from "../shapes.js";
import type { SimCheckRun, SimRepo } from "../state.js";

const STATUSES = ["queued", "in_progress", "completed", "waiting", "requested", "pending"];
const CONCLUSIONS = ["action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"];
const LEVELS = ["notice", "warning", "failure"];

export function checkRunObject(ctx: Ctx, repo: SimRepo, r: SimCheckRun): Record<string, unknown> {
  const { urls, state } = ctx.core;
  const api = `${urls.api}/repos/${repo.owner}/${repo.name}/check-runs/${r.id}`;
  return {
    id: r.id, head_sha: r.head_sha, node_id: nodeId("CR", r.id), external_id: r.external_id ?? "",
    url: api, html_url: `${urls.web}/${repo.owner}/${repo.name}/runs/${r.id}`, details_url: r.details_url ?? `${urls.web}/${repo.owner}/${repo.name}/runs/${r.id}`,
    status: r.status, conclusion: r.conclusion ?? null,
    started_at: r.started_at ? iso(r.started_at) : null, completed_at: r.completed_at ? iso(r.completed_at) : null,
    output: {
      title: r.output?.title ?? null, summary: r.output?.summary ?? null, text: r.output?.text ?? null,
      annotations_count: r.output?.annotations?.length ?? 0, annotations_url: `${api}/annotations`,
    },
    name: r.name, check_suite: { id: r.suiteId }, app: state.app ? integration(urls, state.app, state) : null, pull_requests: [],
  };
}

function requireApp(ctx: Ctx) {
  if (ctx.principal.kind !== "installation") throw new ApiError(403, "You must authenticate via a GitHub App.");
}

function applyBody(r: SimCheckRun, b: Record<string, any>) {
  if (b.name !== undefined) r.name = String(b.name);
  if (b.details_url !== undefined) r.details_url = b.details_url;
  if (b.external_id !== undefined) r.external_id = b.external_id;
  if (b.status !== undefined) {
    if (!STATUSES.includes(b.status)) throw validationFailed([{ resource: "CheckRun", code: "invalid", field: "status" }]);
    r.status = b.status;
  }
  if (b.started_at) r.started_at = new Date(b.started_at);
  if (b.conclusion !== undefined && b.conclusion !== null) {
    if (!CONCLUSIONS.includes(b.conclusion)) throw validationFailed([{ resource: "CheckRun", code: "invalid", field: "conclusion" }]);
    r.conclusion = b.conclusion;
    r.status = "completed";
  }
  if (r.status === "completed") {
    if (!r.conclusion) throw new ApiError(422, "Invalid request.\n\nNo subschema in \"anyOf\" matched.\n\"conclusion\" wasn't supplied.");
    r.completed_at = b.completed_at ? new Date(b.completed_at) : r.completed_at ?? new Date();
  }
  if (b.output !== undefined) {
    const o = b.output ?? {};
    if (typeof o.title !== "string" || typeof o.summary !== "string")
      throw new ApiError(422, `Invalid request.\n\n"${typeof o.title !== "string" ? "title" : "summary"}" wasn't supplied.`);
    const ann: unknown[] = Array.isArray(o.annotations) ? o.annotations : [];
    if (ann.length > 50) throw new ApiError(422, "Invalid request.\n\nFor 'properties/annotations', {...} has more than 50 items.");
    for (const a of ann as Record<string, unknown>[]) {
      for (const k of ["path", "start_line", "end_line", "annotation_level", "message"])
        if (a[k] === undefined) throw new ApiError(422, `Invalid request.\n\n"${k}" wasn't supplied.`);
      if (!LEVELS.includes(String(a.annotation_level))) throw validationFailed([{ resource: "CheckRun", code: "invalid", field: "annotation_level" }]);
    }
    r.output = { title: o.title, summary: o.summary, text: o.text ?? r.output?.text, annotations: [...(r.output?.annotations ?? []), ...ann] };
  }
}

const W: [string, "write", "write"] = ["checks", "write", "write"];
const RD: [string, "read", "read"] = ["checks", "read", "read"];
const R = "/repos/:owner/:repo";

export const checkRoutes: Route[] = [
  { method: "POST", pattern: `${R}/check-runs`, handler: async (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, W);
    requireApp(ctx);
    const b = (ctx.body ?? {}) as Record<string, any>;
    if (typeof b.name !== "string") throw new ApiError(422, 'Invalid request.\n\n"name" wasn\'t supplied.');
    if (typeof b.head_sha !== "string") throw new ApiError(422, 'Invalid request.\n\n"head_sha" wasn\'t supplied.');
    const sha = /^[0-9a-f]{40}$/.test(b.head_sha) ? await resolveCommit(repo.dir, b.head_sha) : undefined;
    if (!sha) throw validationFailed([{ resource: "CheckRun", code: "invalid", field: "head_sha", message: `No commit found for SHA: ${b.head_sha}` }], `No commit found for SHA: ${b.head_sha}`);
    const suite = repo.checkRuns.find((c) => c.head_sha === sha)?.suiteId ?? core.state.nextId("suite", 7_000_000_000);
    const r: SimCheckRun = {
      id: core.state.nextId("checkrun", 9_000_000_000), suiteId: suite, head_sha: sha, name: b.name, status: "queued",
      external_id: null, details_url: null, started_at: new Date(), completed_at: null, appId: core.state.app!.id,
    };
    applyBody(r, b);
    repo.checkRuns.push(r);
    const obj = checkRunObject(ctx, repo, r);
    core.emit("check_run", repo, core.state.app!.botUser.login, { action: "created", check_run: obj });
    if (r.status === "completed") core.emit("check_run", repo, core.state.app!.botUser.login, { action: "completed", check_run: obj });
    return { status: 201, body: obj };
  } },
  { method: "PATCH", pattern: `${R}/check-runs/:id`, handler: (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, W);
    requireApp(ctx);
    const r = repo.checkRuns.find((c) => c.id === Number(ctx.params.id));
    if (!r) throw notFound();
    const was = r.status;
    const copy = structuredClone(r);
    applyBody(copy, (ctx.body ?? {}) as Record<string, any>);
    Object.assign(r, copy);
    const obj = checkRunObject(ctx, repo, r);
    if (was !== "completed" && r.status === "completed") core.emit("check_run", repo, core.state.app!.botUser.login, { action: "completed", check_run: obj });
    return { status: 200, body: obj };
  } },
  { method: "GET", pattern: `${R}/check-runs/:id`, handler: (ctx) => {
    const repo = ctx.core.repo(ctx, RD);
    const r = repo.checkRuns.find((c) => c.id === Number(ctx.params.id));
    if (!r) throw notFound();
    return { status: 200, body: checkRunObject(ctx, repo, r) };
  } },
  { method: "GET", pattern: `${R}/check-runs/:id/annotations`, handler: (ctx) => {
    const repo = ctx.core.repo(ctx, RD);
    const r = repo.checkRuns.find((c) => c.id === Number(ctx.params.id));
    if (!r) throw notFound();
    const { items, headers } = paginate(ctx, (r.output?.annotations ?? []) as Record<string, unknown>[]);
    return { status: 200, headers, body: items.map((a) => ({
      path: a.path, start_line: a.start_line, end_line: a.end_line, start_column: a.start_column ?? null, end_column: a.end_column ?? null,
      annotation_level: a.annotation_level, title: a.title ?? null, message: a.message, raw_details: a.raw_details ?? null, blob_href: `${ctx.core.urls.web}/${repo.owner}/${repo.name}/blob/${r.head_sha}/${a.path}`,
    })) };
  } },
  { method: "GET", pattern: `${R}/commits/:ref/check-runs`, handler: async (ctx) => {
    const repo = ctx.core.repo(ctx, RD);
    const sha = await resolveCommit(repo.dir, ctx.params.ref);
    if (!sha) throw new ApiError(422, `No commit found for SHA: ${ctx.params.ref}`);
    let runs = repo.checkRuns.filter((c) => c.head_sha === sha);
    const name = ctx.query.get("check_name");
    if (name) runs = runs.filter((c) => c.name === name);
    const { items, headers } = paginate(ctx, runs);
    return { status: 200, headers, body: { total_count: runs.length, check_runs: items.map((r) => checkRunObject(ctx, repo, r)) } };
  } },
];
