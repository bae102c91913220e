/** The app webhook's deliveries API (list, get, redeliver) and git refs (`matching-refs`), as GitHub documents them. */
import { ApiError, notFound, requiresAuth } from "../errors.js";
import { listRefs } from "../git.js";
import type { Ctx, Route } from "../core.js";
import { iso } from "../shapes.js";
import type { Delivery } from "../webhooks.js";

function requireApp(ctx: Ctx) {
  if (ctx.principal.kind !== "app") {
    if (ctx.principal.kind === "anonymous") throw requiresAuth();
    throw new ApiError(401, "A JSON web token could not be decoded");
  }
  return ctx.principal.app;
}

/** GitHub reports a delivery that got no HTTP answer (refused, timed out) with status_code 0. */
function statusOf(d: Delivery): { status: string; status_code: number } {
  if (d.status !== undefined) return { status: d.status >= 200 && d.status < 300 ? "OK" : `Invalid HTTP Response: ${d.status}`, status_code: d.status };
  return { status: d.error === "timed out" ? "timed out" : "failed to connect", status_code: 0 };
}

function item(ctx: Ctx, d: Delivery): Record<string, unknown> {
  const p = (d.payload ?? {}) as { installation?: { id?: number }; repository?: { id?: number } };
  return {
    id: d.num, guid: d.guid, delivered_at: iso(d.at), redelivery: !!d.redelivery, duration: (d.durationMs ?? 0) / 1000,
    ...statusOf(d), event: d.event, action: d.action ?? null,
    installation_id: p.installation?.id ?? null, repository_id: p.repository?.id ?? null, throttled_at: null,
  };
}

/** Deliveries that have an outcome (an attempt still in flight is not listed yet), newest first. */
const finished = (ctx: Ctx) => ctx.core.hooks.deliveries.filter((d) => d.num !== undefined && (d.status !== undefined || d.error !== undefined)).reverse();

export const hookRoutes: Route[] = [
  { method: "GET", pattern: "/app/hook/deliveries", handler: (ctx) => {
    requireApp(ctx);
    const per = Math.min(Math.max(Number(ctx.query.get("per_page") ?? 30) || 30, 1), 100);
    const cursor = ctx.query.get("cursor");
    const status = ctx.query.get("status");
    if (status && status !== "success" && status !== "failure") throw new ApiError(422, "Invalid value for 'status'");
    let all = finished(ctx);
    if (status) {
      all = all.filter((d) => {
        const c = statusOf(d).status_code;
        return status === "success" ? c >= 200 && c <= 399 : c >= 400 && c <= 599;
      });
    }
    let start = 0;
    if (cursor) {
      const m = /^v1_(\d+)$/.exec(cursor);
      if (!m) throw new ApiError(400, "Invalid cursor");
      start = all.findIndex((d) => (d.num ?? 0) <= Number(m[1]));
      if (start < 0) start = all.length;
    }
    const page = all.slice(start, start + per);
    const next = all[start + per];
    const headers: Record<string, string> = {};
    if (next) {
      const q = new URLSearchParams(ctx.query);
      q.set("per_page", String(per));
      q.set("cursor", `v1_${next.num}`);
      headers.Link = `<${ctx.core.urls.api}${ctx.path}?${q.toString()}>; rel="next"`;
    }
    return { status: 200, headers, body: page.map((d) => item(ctx, d)) };
  } },
  { method: "GET", pattern: "/app/hook/deliveries/:id", handler: (ctx) => {
    requireApp(ctx);
    const d = ctx.core.hooks.deliveries.find((x) => x.num === Number(ctx.params.id));
    if (!d) throw notFound();
    return { status: 200, body: {
      ...item(ctx, d), url: d.url ?? "",
      request: { headers: { "X-GitHub-Event": d.event, "X-GitHub-Delivery": d.guid }, payload: d.payload },
      response: { headers: {}, payload: null },
    } };
  } },
  { method: "POST", pattern: "/app/hook/deliveries/:id/attempts", handler: (ctx) => {
    requireApp(ctx);
    const d = ctx.core.hooks.deliveries.find((x) => x.num === Number(ctx.params.id));
    if (!d) throw notFound();
    // Accepted at once; the redelivery is made in the background, as GitHub does.
    void ctx.core.hooks.redeliver(d.id).catch(() => undefined);
    return { status: 202, body: {} };
  } },
  { method: "GET", pattern: "/repos/:owner/:repo/git/matching-refs/*ref", handler: async (ctx) => {
    const repo = ctx.core.repo(ctx, ["contents", "read", "read"]);
    const prefix = `refs/${ctx.params.ref}`;
    const refs = [...(await listRefs(repo.dir)).entries()].filter(([r]) => r.startsWith(prefix)).sort(([a], [b]) => a.localeCompare(b));
    const api = `${ctx.core.urls.api}/repos/${repo.owner}/${repo.name}`;
    return { status: 200, body: refs.map(([ref, sha]) => ({
      ref, node_id: Buffer.from(`sim:ref:${repo.id}:${ref}`).toString("base64url"), url: `${api}/git/${ref}`,
      object: { sha, type: "commit", url: `${api}/git/commits/${sha}` },
    })) };
  } },
];
