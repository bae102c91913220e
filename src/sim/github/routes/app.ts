/** GitHub App endpoints: /app, installations, installation tokens; /users. */
import { installationSuspended, randomToken } from "../auth.js";
import { ApiError, notFound, requiresAuth } from "../errors.js";
import { organization, paginate, type Ctx, type Route } from "../core.js";
import { installation, integration, iso, publicUser, repository, simpleUser } from "../shapes.js";
import type { SimInstallation, SimToken } from "../state.js";

/** GitHub's installation token lifetime (the sim's is `state.tokenLifetimeMs`, changeable with `setTokenLifetime`). */
export const TOKEN_TTL_MS = 60 * 60 * 1000;

function requireApp(ctx: Ctx) {
  if (ctx.principal.kind !== "app") {
    if (ctx.principal.kind === "anonymous") throw requiresAuth();
    throw new ApiError(401, "A JSON web token could not be decoded");
  }
  return ctx.principal.app;
}

function findInstallation(ctx: Ctx, id: number): SimInstallation {
  const inst = ctx.core.state.installations.get(id);
  if (!inst) throw notFound();
  return inst;
}

export const appRoutes: Route[] = [
  { method: "GET", pattern: "/app", handler: (ctx) => {
    const app = requireApp(ctx);
    return { status: 200, body: { ...integration(ctx.core.urls, app, ctx.core.state), installations_count: ctx.core.state.installations.size } };
  } },
  { method: "GET", pattern: "/app/installations", handler: (ctx) => {
    const app = requireApp(ctx);
    const all = [...ctx.core.state.installations.values()].map((i) => installation(ctx.core.urls, i, app, ctx.core.state));
    const { items, headers } = paginate(ctx, all);
    return { status: 200, body: items, headers };
  } },
  { method: "GET", pattern: "/app/installations/:id", handler: (ctx) => {
    const app = requireApp(ctx);
    return { status: 200, body: installation(ctx.core.urls, findInstallation(ctx, Number(ctx.params.id)), app, ctx.core.state) };
  } },
  { method: "POST", pattern: "/app/installations/:id/access_tokens", handler: (ctx) => {
    const app = requireApp(ctx);
    const { state, urls } = ctx.core;
    const inst = findInstallation(ctx, Number(ctx.params.id));
    if (inst.suspendedAt) throw installationSuspended();
    const body = (ctx.body ?? {}) as { repositories?: string[]; repository_ids?: number[]; permissions?: Record<string, string> };
    const instRepos = state.installationRepos(inst);
    let selected: typeof instRepos | undefined;
    if (body.repositories || body.repository_ids) {
      selected = [];
      for (const name of body.repositories ?? []) {
        const r = instRepos.find((x) => x.name.toLowerCase() === String(name).toLowerCase());
        if (!r) throw new ApiError(422, "There is at least one repository that does not exist or is not accessible to the parent installation.");
        selected.push(r);
      }
      for (const id of body.repository_ids ?? []) {
        const r = instRepos.find((x) => x.id === Number(id));
        if (!r) throw new ApiError(422, "There is at least one repository that does not exist or is not accessible to the parent installation.");
        selected.push(r);
      }
    }
    let permissions = { ...app.permissions };
    if (body.permissions) {
      for (const [k, v] of Object.entries(body.permissions)) {
        const have = app.permissions[k];
        if (!have || (v === "write" && have === "read") || (v === "admin" && have !== "admin"))
          throw new ApiError(422, "The permissions requested are not granted to this installation.");
      }
      permissions = { ...body.permissions, metadata: body.permissions.metadata ?? "read" };
    }
    const tok: SimToken = {
      token: randomToken("ghs"), kind: "installation", installationId: inst.id,
      repositoryIds: selected?.map((r) => r.id), permissions,
      expiresAt: new Date(state.now() + state.tokenLifetimeMs),
    };
    state.tokens.set(tok.token, tok);
    const out: Record<string, unknown> = {
      token: tok.token, expires_at: iso(tok.expiresAt!), permissions,
      repository_selection: selected ? "selected" : "all",
    };
    if (selected) out.repositories = selected.map((r) => repository(urls, r, state));
    return { status: 201, body: out };
  } },
  // Suspend / unsuspend an installation (app JWT): 204, and the `installation` webhook (suspend / unsuspend).
  ...(["PUT", "DELETE"] as const).map((method): Route => ({
    method, pattern: "/app/installations/:id/suspended", handler: (ctx) => {
      const app = requireApp(ctx);
      const inst = findInstallation(ctx, Number(ctx.params.id));
      setSuspended(ctx.core, inst, method === "PUT", `${app.slug}[bot]`);
      return { status: 204 };
    },
  })),
  { method: "GET", pattern: "/installation/repositories", handler: (ctx) => {
    const p = ctx.principal;
    if (p.kind !== "installation") throw new ApiError(403, "This endpoint can only be accessed with a GitHub App installation access token");
    const { state, urls } = ctx.core;
    let repos = state.installationRepos(p.installation);
    if (p.token.repositoryIds) repos = repos.filter((r) => p.token.repositoryIds!.includes(r.id));
    const { items, headers } = paginate(ctx, repos);
    return { status: 200, headers, body: { total_count: repos.length, repository_selection: p.token.repositoryIds ? "selected" : "all", repositories: items.map((r) => repository(urls, r, state)) } };
  } },
  ...(["repos/:owner/:repo", "orgs/:owner", "users/:owner"] as const).map((pfx): Route => ({
    method: "GET", pattern: `/${pfx}/installation`, handler: (ctx) => {
      const app = requireApp(ctx);
      const { state, urls } = ctx.core;
      if (pfx.startsWith("repos") && !state.getRepo(ctx.params.owner, ctx.params.repo)) throw notFound();
      const inst = state.installationForOwner(ctx.params.owner);
      if (!inst) throw notFound();
      return { status: 200, body: installation(urls, inst, app, state) };
    },
  })),
  { method: "GET", pattern: "/users/:username", handler: (ctx) => {
    const u = ctx.core.state.getUser(ctx.params.username);
    if (!u) throw notFound();
    return { status: 200, body: publicUser(ctx.core.urls, u, ctx.core.state) };
  } },
  { method: "GET", pattern: "/user", handler: (ctx) => {
    const p = ctx.principal;
    if (p.kind === "anonymous") throw requiresAuth();
    if (p.kind !== "user") throw new ApiError(403, "Resource not accessible by integration");
    const u = ctx.core.state.ensureUser(p.login);
    return { status: 200, body: { ...publicUser(ctx.core.urls, u, ctx.core.state), private_gists: 0, total_private_repos: 0, owned_private_repos: 0, disk_usage: 0, collaborators: 0, two_factor_authentication: true, plan: { name: "free", space: 976562499, collaborators: 0, private_repos: 10000 } } };
  } },
];

/**
 * Suspends or unsuspends an installation and sends the `installation` webhook (`suspend` /
 * `unsuspend`): GitHub sends these even to a suspended installation's app, and nothing else.
 */
export function setSuspended(core: Ctx["core"], inst: SimInstallation, suspended: boolean, by: string): void {
  const { state, urls } = core;
  if (!!inst.suspendedAt === suspended) return;
  const sender = state.ensureUser(by, by.endsWith("[bot]") ? "Bot" : "User");
  inst.suspendedAt = suspended ? new Date(state.now()) : null;
  inst.suspendedBy = suspended ? sender.login : null;
  const app = state.app;
  if (!app) return;
  const account = state.ensureUser(inst.account, inst.accountType);
  const payload: Record<string, unknown> = {
    action: suspended ? "suspend" : "unsuspend",
    installation: installation(urls, inst, app, state),
    repositories: state.installationRepos(inst).map((r) => ({ id: r.id, node_id: Buffer.from(`010:Repository${r.id}`).toString("base64"), name: r.name, full_name: `${r.owner}/${r.name}`, private: r.private })),
    requester: null,
    sender: simpleUser(urls, sender),
  };
  if (account.type === "Organization") payload.organization = organization(urls, account.login, account.id);
  core.hooks.emit("installation", payload);
}
