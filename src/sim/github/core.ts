/** Shared simulator core: state + URLs + webhook dispatcher + helpers used by routes and the public API. */
import type { IncomingHttpHeaders } from "node:http";
import { canSee, installationHas, userHasRole, type Principal } from "./auth.js";
import { ApiError, forbidden, notFound } from "./errors.js";
import { nodeId, repository, simpleUser, type Urls } from "./shapes.js";
import type { Role, SimRepo, SimState } from "./state.js";
import type { WebhookDispatcher } from "./webhooks.js";

export interface Ctx {
  core: SimCore;
  method: string;
  /** API path after /api/v3 (no query) */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: any;
  principal: Principal;
}

export interface Res { status: number; body?: unknown; headers?: Record<string, string>; raw?: Buffer | string }
export type Handler = (ctx: Ctx) => Promise<Res> | Res;
export interface Route { method: string; pattern: string; handler: Handler }

export class SimCore {
  constructor(public state: SimState, public urls: Urls, public hooks: WebhookDispatcher, public dataDir: string) {}

  /** Login acting for the principal (the app's bot for installation tokens). */
  actorLogin(p: Principal): string | undefined {
    if (p.kind === "user") return p.login;
    if (p.kind === "installation") return this.state.app!.botUser.login;
    return undefined;
  }

  /**
   * Find a repo the principal can see (404 otherwise) and check permission:
   * `perm` = [installation permission, level, minimum user role].
   */
  repo(ctx: Ctx, perm?: [string, "read" | "write", Role]): SimRepo {
    const repo = this.state.getRepo(ctx.params.owner, ctx.params.repo);
    if (!repo || !canSee(ctx.principal, repo, this.state)) throw notFound();
    if (!perm) return repo;
    const p = ctx.principal;
    if (p.kind === "installation") {
      if (!installationHas(p, perm[0], perm[1])) throw forbidden();
    } else if (p.kind === "user") {
      if (!userHasRole(this.state, repo, p.login, perm[2])) {
        if (perm[2] === "admin") throw new ApiError(403, "Must have admin rights to Repository.");
        throw notFound();
      }
    } else if (perm[1] === "write" || repo.private) {
      throw new ApiError(401, "Requires authentication");
    }
    return repo;
  }

  requireActor(ctx: Ctx): string {
    const login = this.actorLogin(ctx.principal);
    if (!login) throw new ApiError(401, "Requires authentication");
    return login;
  }

  /** Common webhook envelope fields. */
  envelope(repo: SimRepo, senderLogin: string, opts: { webhookRepo?: boolean } = {}): Record<string, unknown> {
    const { state, urls } = this;
    const env: Record<string, unknown> = {
      repository: repository(urls, repo, state, { webhook: opts.webhookRepo }),
    };
    const owner = state.ensureUser(repo.owner);
    if (owner.type === "Organization") env.organization = organization(urls, owner.login, owner.id);
    env.sender = simpleUser(urls, state.ensureUser(senderLogin));
    const inst = state.installationForOwner(repo.owner);
    if (inst) env.installation = { id: inst.id, node_id: Buffer.from(`023:IntegrationInstallation${inst.id}`).toString("base64") };
    return env;
  }

  emit(event: string, repo: SimRepo, senderLogin: string, payload: Record<string, unknown>, opts: { webhookRepo?: boolean } = {}) {
    // A suspended installation's app gets no webhook events for that account.
    if (this.state.installationForOwner(repo.owner)?.suspendedAt) return undefined;
    return this.hooks.emit(event, { ...payload, ...this.envelope(repo, senderLogin, opts) });
  }
}

export function organization(u: Urls, login: string, id: number): Record<string, unknown> {
  const api = `${u.api}/orgs/${login}`;
  return {
    login, id, node_id: nodeId("O", id), url: api,
    repos_url: `${api}/repos`, events_url: `${api}/events`, hooks_url: `${api}/hooks`, issues_url: `${api}/issues`,
    members_url: `${api}/members{/member}`, public_members_url: `${api}/public_members{/member}`,
    avatar_url: `${u.web}/avatars/u/${id}?v=4`, description: null,
  };
}

/** Paginate an array like GitHub (page/per_page + Link header). */
export function paginate<T>(ctx: Ctx, items: T[], defaultPer = 30, maxPer = 100): { items: T[]; headers: Record<string, string> } {
  const per = Math.min(Math.max(Number(ctx.query.get("per_page") ?? defaultPer) || defaultPer, 1), maxPer);
  const page = Math.max(Number(ctx.query.get("page") ?? 1) || 1, 1);
  const last = Math.max(Math.ceil(items.length / per), 1);
  const slice = items.slice((page - 1) * per, page * per);
  const link = (p: number) => {
    const q = new URLSearchParams(ctx.query);
    q.set("per_page", String(per));
    q.set("page", String(p));
    return `${ctx.core.urls.api}${ctx.path}?${q.toString()}`;
  };
  const rels: string[] = [];
  if (page > 1) rels.push(`<${link(page - 1)}>; rel="prev"`);
  if (page < last) rels.push(`<${link(page + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`);
  if (page > 1) rels.push(`<${link(1)}>; rel="first"`);
  return { items: slice, headers: rels.length ? { Link: rels.join(", ") } : {} };
}
