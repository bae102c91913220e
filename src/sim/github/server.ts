/** HTTP front: REST under /api/v3, git smart HTTP, /_sim state, faults, latency and request log. */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { relative } from "node:path";
import { canSee, principalFrom, principalFromToken, userHasRole, installationHas, type Principal } from "./auth.js";
import { ApiError, defaultErrorBody, SECONDARY_RATE_LIMIT_DOCS } from "./errors.js";
import { httpBackend, listRefs, lookupPath, readBlob, resolveCommit } from "./git.js";
import { emitPushes } from "./pushes.js";
import { Router } from "./router.js";
import { appRoutes } from "./routes/app.js";
import { checkRoutes } from "./routes/checks.js";
import { hookRoutes } from "./routes/hooks.js";
import { commentRoutes } from "./routes/comments.js";
import { issueRoutes } from "./routes/issues.js";
import { labelRoutes } from "./routes/labels.js";
import { repoRoutes } from "./routes/repos.js";
import { secretRoutes } from "./routes/secrets.js";
import type { Res, SimCore } from "./core.js";
import { simState } from "./simstate.js";

export interface FaultRule {
  method?: string;
  path: RegExp | string;
  /** the status answered (required unless `expireToken`) */
  status?: number;
  times?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /**
   * Instead of answering with a fault: the installation or user token the request carries expires
   * now (as if its hour were over) and the request goes on, so it is answered as GitHub answers an
   * expired token (401 `Bad credentials`; for git, 401 with a `WWW-Authenticate` challenge).
   */
  expireToken?: boolean;
}
export interface RequestLog { method: string; path: string; query: string; status: number; at: Date; durationMs: number }

const router = new Router([...appRoutes, ...repoRoutes, ...commentRoutes, ...issueRoutes, ...labelRoutes, ...secretRoutes, ...checkRoutes, ...hookRoutes]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SimServer {
  latencyMs = 0;
  faults: Array<FaultRule & { remaining: number }> = [];
  requests: RequestLog[] = [];
  private repoLocks = new Map<string, Promise<unknown>>();
  private rate = new Map<string, number>();
  /** opt-in secondary (content creation) rate limit: mutating requests per minute per principal */
  contentPerMinute?: number;
  private content = new Map<string, number[]>();
  private inflight = new Set<Promise<unknown>>();

  constructor(private core: SimCore) {}

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.dispatch(req, res).catch((e) => {
      if (!res.headersSent) { res.statusCode = 500; res.setHeader("Content-Type", "application/json"); }
      res.end(JSON.stringify({ message: "Server Error", detail: String((e as Error)?.stack ?? e) }));
    });
  };

  private async dispatch(req: IncomingMessage, res: ServerResponse) {
    const t0 = Date.now();
    const url = new URL(req.url ?? "/", "http://sim.local");
    const method = (req.method ?? "GET").toUpperCase();
    const log = (status: number) => this.requests.push({ method, path: url.pathname, query: url.search, status, at: new Date(t0), durationMs: Date.now() - t0 });
    if (url.pathname.startsWith("/_sim/")) return this.simRoute(url, res);
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const apiPath = url.pathname.startsWith("/api/v3") ? url.pathname.slice("/api/v3".length) || "/" : undefined;
    const fault = this.faults.find((f) => f.remaining > 0 && (!f.method || f.method.toUpperCase() === method) &&
      (typeof f.path === "string" ? f.path === url.pathname || f.path === apiPath : f.path.test(url.pathname)));
    if (fault?.expireToken) {
      fault.remaining--;
      this.expireToken(req.headers.authorization);
    } else if (fault) {
      fault.remaining--;
      await drain(req);
      const headers = fault.headers ?? {};
      const status = fault.status ?? 500;
      const body = fault.body ?? defaultErrorBody(status, headers);
      res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", Date: new Date(this.core.state.now()).toUTCString(), "X-GitHub-Request-Id": requestId(), ...headers });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
      return log(status);
    }
    if (apiPath !== undefined) {
      const status = await this.api(req, res, method, apiPath, url.searchParams);
      return log(status);
    }
    const raw = /^\/([^/]+)\/([^/]+)\/raw\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (raw && method === "GET") return log(await this.raw(req, res, raw.slice(1).map(decodeURIComponent)));
    const git = /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack|HEAD|objects\/.*)$/.exec(url.pathname);
    if (git) return log(await this.git(req, res, git[1], git[2], git[3], url.search.slice(1)));
    await drain(req);
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("Not Found");
    log(404);
  }

  private async api(req: IncomingMessage, res: ServerResponse, method: string, path: string, query: URLSearchParams): Promise<number> {
    let out: Res;
    let principal: Principal = { kind: "anonymous" };
    try {
      const raw = await readBody(req);
      let body: unknown;
      if (raw.length) {
        try { body = JSON.parse(raw.toString("utf8")); } catch { throw new ApiError(400, "Problems parsing JSON"); }
      }
      principal = principalFrom(req.headers.authorization, this.core.state);
      this.contentLimit(principal, method);
      // `/repositories/{id}/…`: the repository by its ID, whatever its name now (where GitHub's redirects point).
      const byId = /^\/repositories\/(\d+)(\/.*)?$/.exec(path);
      if (byId) {
        const repo = this.core.state.repoById(Number(byId[1]));
        if (!repo) throw new ApiError(404, "Not Found");
        path = `/repos/${repo.owner}/${repo.name}${byId[2] ?? ""}`;
      }
      const moved = this.moved(method, path, query, principal);
      if (moved) throw moved;
      const m = router.match(method, path);
      if (!m) throw new ApiError(404, "Not Found");
      out = await m.route.handler({ core: this.core, method, path, params: m.params, query, headers: req.headers, body, principal });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      out = { status: e.status, body: e.body(), headers: e.headers };
    }
    const headers: Record<string, string> = {
      Date: new Date(this.core.state.now()).toUTCString(),
      "X-GitHub-Media-Type": "github.v3; format=json",
      "X-GitHub-Api-Version-Selected": "2022-11-28",
      "X-GitHub-Request-Id": requestId(),
      ...this.rateHeaders(principal),
      ...out.headers,
    };
    if (out.raw !== undefined) {
      res.writeHead(out.status, { "Content-Type": "text/plain; charset=utf-8", ...headers });
      res.end(out.raw);
    } else if (out.body === undefined || out.status === 204) {
      res.writeHead(out.status, headers);
      res.end();
    } else {
      res.writeHead(out.status, { "Content-Type": "application/json; charset=utf-8", ...headers });
      res.end(JSON.stringify(out.body));
    }
    return out.status;
  }

  /**
   * A renamed or transferred repository's old `owner/name`: 301 Moved Permanently for GET and HEAD,
   * 307 Temporary Redirect for the other methods (to be repeated verbatim), with a Location at
   * `/repositories/{id}/…` (GitHub's documented HTTP redirects).
   */
  private moved(method: string, path: string, query: URLSearchParams, principal: Principal): ApiError | undefined {
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
    if (!m) return undefined;
    const { state } = this.core;
    if (state.getRepo(decodeURIComponent(m[1]), decodeURIComponent(m[2]))) return undefined;
    const repo = state.movedRepo(decodeURIComponent(m[1]), decodeURIComponent(m[2]));
    if (!repo || (principal.kind !== "app" && !canSee(principal, repo, state))) return undefined;
    const q = query.toString();
    const location = `${this.core.urls.api}/repositories/${repo.id}${m[3] ?? ""}${q ? `?${q}` : ""}`;
    const permanent = method === "GET" || method === "HEAD";
    return new ApiError(permanent ? 301 : 307, permanent ? "Moved Permanently" : "Temporary Redirect", { url: location }, { Location: location },
      "https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api#follow-redirects");
  }

  /** The `expireToken` fault: the token the request carries expires now. */
  private expireToken(authorization: string | undefined) {
    const m = /^(\w+)\s+(.+)$/.exec((authorization ?? "").trim());
    if (!m) return;
    let cred = m[2].trim();
    if (m[1].toLowerCase() === "basic") {
      const dec = Buffer.from(cred, "base64").toString("utf8");
      cred = dec.slice(dec.indexOf(":") + 1);
    }
    const tok = this.core.state.tokens.get(cred);
    if (tok) tok.expiresAt = new Date(this.core.state.now() - 1);
  }

  private contentLimit(p: Principal, method: string) {
    if (!this.contentPerMinute || !["POST", "PATCH", "PUT", "DELETE"].includes(method) || p.kind === "anonymous" || p.kind === "app") return;
    const key = p.kind === "installation" ? `i${p.installation.id}` : `u${p.login}`;
    const now = this.core.state.now();
    const recent = (this.content.get(key) ?? []).filter((t) => t > now - 60_000);
    if (recent.length >= this.contentPerMinute) {
      const retry = Math.max(1, Math.ceil((recent[0] + 60_000 - now) / 1000));
      const headers = { "Retry-After": String(retry) };
      throw new ApiError(403, String(defaultErrorBody(403, { "retry-after": "x" }).message), {}, headers, SECONDARY_RATE_LIMIT_DOCS);
    }
    recent.push(now);
    this.content.set(key, recent);
  }

  private rateHeaders(p: Principal): Record<string, string> {
    const key = p.kind === "installation" ? `i${p.installation.id}` : p.kind === "user" ? `u${p.login}` : p.kind === "app" ? `a${p.app.id}` : "anon";
    const hour = Math.floor(Date.now() / 3_600_000);
    const k = `${key}:${hour}`;
    const used = (this.rate.get(k) ?? 0) + 1;
    this.rate.set(k, used);
    const limit = p.kind === "anonymous" ? 60 : 5000;
    return {
      "X-RateLimit-Limit": String(limit), "X-RateLimit-Remaining": String(Math.max(limit - used, 0)),
      "X-RateLimit-Used": String(used), "X-RateLimit-Reset": String((hour + 1) * 3600), "X-RateLimit-Resource": "core",
    };
  }

  /** download_url / raw_url: /{owner}/{repo}/raw/{ref}/{path} */
  private async raw(req: IncomingMessage, res: ServerResponse, [owner, name, ref, path]: string[]): Promise<number> {
    let principal: Principal = { kind: "anonymous" };
    try { principal = principalFrom(req.headers.authorization, this.core.state); } catch { /* treated as anonymous */ }
    const repo = this.core.state.getRepo(owner, name);
    const send = (status: number, body: string | Buffer, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "Content-Type": type });
      res.end(body);
      return status;
    };
    if (!repo || !canSee(principal, repo, this.core.state)) return send(404, "404: Not Found");
    const sha = await resolveCommit(repo.dir, ref);
    const entry = sha ? await lookupPath(repo.dir, sha, path) : undefined;
    if (!entry || entry.type !== "blob") return send(404, "404: Not Found");
    return send(200, await readBlob(repo.dir, entry.sha));
  }

  private async git(req: IncomingMessage, res: ServerResponse, owner: string, name: string, rest: string, query: string): Promise<number> {
    const { state } = this.core;
    const write = rest === "git-receive-pack" || /(^|&)service=git-receive-pack(&|$)/.test(query);
    const deny = async (status: number, msg: string, headers: Record<string, string> = {}) => {
      await drain(req);
      res.writeHead(status, { "Content-Type": "text/plain", ...headers });
      res.end(msg + "\n");
      return status;
    };
    let principal: Principal = { kind: "anonymous" };
    const auth = req.headers.authorization;
    if (auth) {
      const m = /^Basic\s+(.+)$/i.exec(auth);
      const dec = m ? Buffer.from(m[1], "base64").toString("utf8") : "";
      const pass = dec.slice(dec.indexOf(":") + 1);
      try { principal = principalFromToken(pass, state); } catch (e) {
        if (e instanceof ApiError && e.status === 403) return deny(403, e.message);
        return deny(401, "Invalid username or token. Password authentication is not supported for Git operations.", { "WWW-Authenticate": 'Basic realm="GitHub"' });
      }
    }
    const repo = state.getRepo(owner, name);
    const moved = repo ? undefined : state.movedRepo(owner, name);
    if (moved && canSee(principal, moved, state)) {
      // git operations on a renamed or transferred repository's old URL are redirected to the new one
      await drain(req);
      const status = req.method === "GET" || req.method === "HEAD" ? 301 : 307;
      res.writeHead(status, { Location: `/${moved.owner}/${moved.name}.git/${rest}${query ? `?${query}` : ""}`, "Content-Type": "text/plain" });
      res.end();
      return status;
    }
    const challenge = { "WWW-Authenticate": 'Basic realm="GitHub"' };
    if (!repo || !canSee(principal, repo, state)) {
      if (principal.kind === "anonymous") return deny(401, "Authentication required", challenge);
      return deny(404, "Repository not found.");
    }
    let remoteUser = principal.kind === "user" ? principal.login : principal.kind === "installation" ? state.app!.botUser.login : "";
    if (write) {
      if (principal.kind === "anonymous") return deny(401, "Authentication required", challenge);
      const ok = principal.kind === "installation" ? installationHas(principal, "contents", "write") : principal.kind === "user" && userHasRole(state, repo, principal.login, "write");
      if (!ok) return deny(403, `Permission to ${repo.owner}/${repo.name}.git denied to ${remoteUser}.`);
    }
    // the repository's own directory: a renamed one keeps the directory it was created in
    const pathInfo = `/${relative(this.core.dataDir, repo.dir).split("\\").join("/")}/${rest}`;
    const run = () => httpBackend(req, res, { projectRoot: this.core.dataDir, pathInfo, query, remoteUser });
    if (!(write && req.method === "POST")) return run();
    const op = this.withRepoLock(repo.dir, async () => {
      const before = await listRefs(repo.dir);
      const status = await run();
      const after = await listRefs(repo.dir);
      await emitPushes(this.core, repo, before, after, remoteUser);
      return status;
    });
    this.inflight.add(op);
    op.finally(() => this.inflight.delete(op)).catch(() => {});
    return op;
  }

  busy(): boolean { return this.inflight.size > 0; }

  /** Resolves when no receive-pack (and its push-event processing) is in flight. */
  async settled(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  async withRepoLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.repoLocks.get(key) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.repoLocks.set(key, next.catch(() => {}));
    return next;
  }

  private simRoute(url: URL, res: ServerResponse) {
    if (url.pathname === "/_sim/state") {
      const body = simState(this.core, url.searchParams.get("secrets") === "1");
      res.writeHead(200, { "Content-Type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(body));
      return;
    }
    res.writeHead(404, { "Content-Type": "application/json; charset=utf-8" });
    res.end(JSON.stringify({ message: "Not Found" }));
  }
}

function requestId(): string {
  return randomUUID().toUpperCase().replace(/-/g, ":").slice(0, 34);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
const drain = (req: IncomingMessage) => readBody(req).then(() => undefined, () => undefined);
