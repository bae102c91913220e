/**
 * Local simulator of GitHub: REST (/api/v3), git smart HTTP, webhooks.
 * Use with Probot via GHE_HOST=<sim.host> GHE_PROTOCOL=http.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomToken } from "./auth.js";
import { organization, SimCore } from "./core.js";
import { buildCommit, git, initBare, listRefs, ZERO_SHA } from "./git.js";
import { addComment, emitComment, emitIssue, issueLocked, LOCK_REASONS, mayCommentWhenLocked } from "./routes/issue-model.js";
import { setSuspended } from "./routes/app.js";
import { simpleUser } from "./shapes.js";
import { ensureEnvironment } from "./routes/secrets.js";
import { SimServer, type FaultRule, type RequestLog } from "./server.js";
import { checkRunView, issueView } from "./simstate.js";
import { SimState, type Role, type SimRepo } from "./state.js";
import { WebhookDispatcher, type Delivery } from "./webhooks.js";

export type { Delivery, FaultRule, RequestLog };

export interface GitHubSimOptions { port?: number; latencyMs?: number; dataDir?: string }

export const DEFAULT_APP_PERMISSIONS: Record<string, string> = {
  metadata: "read", contents: "write", issues: "write", checks: "write", secrets: "write",
  actions: "read", environments: "write", pull_requests: "write", members: "read",
};
export const DEFAULT_APP_EVENTS = ["push", "issues", "issue_comment", "check_run"];

export interface AddAppOptions {
  appId: number; slug: string; publicKeyPem: string; webhookSecret: string; webhookUrl?: string;
  /** extension: installation permissions (default DEFAULT_APP_PERMISSIONS) */
  permissions?: Record<string, string>;
  /** extension: subscribed events (default DEFAULT_APP_EVENTS; "*" = all) */
  events?: string[];
  name?: string;
  /** the account that registered the app (default `<slug>-owner`) */
  owner?: string;
}

export interface SimIssueView {
  number: number; title: string; body: string; state: "open" | "closed"; state_reason: string | null; locked: boolean;
  labels: string[]; assignees: string[]; user: string;
  comments: Array<{ id: number; user: string; body: string; reactions: string[] }>;
  reactions: string[];
}
export interface SimCheckRunView { id: number; head_sha: string; name: string; status: string; conclusion?: string; output?: { title?: string; summary?: string; text?: string; annotations?: unknown[] } }

export interface GitHubSim {
  url: string;
  host: string;
  apiUrl: string;
  close(): Promise<void>;
  addApp(app: AddAppOptions): void;
  setWebhookUrl(url: string): void;
  addUser(login: string, opts?: { type?: "User" | "Bot"; email?: string }): void;
  addInstallation(inst: { id: number; account: string; accountType?: "Organization" | "User" }): void;
  /** `forkOf: "owner/name"` makes a fork (a new repository; its git history is not copied) */
  addRepo(owner: string, name: string, opts?: { private?: boolean; defaultBranch?: string; forkOf?: string }): Promise<{ cloneUrl: string }>;
  setCollaborator(owner: string, repo: string, login: string, role: Role): void;
  userToken(login: string): string;
  push(owner: string, repo: string, opts: { branch: string; pusher: string; commits: Array<{ message: string; files: Record<string, string | Buffer | null> }>; force?: boolean; from?: string }): Promise<{ before: string; after: string; shas: string[] }>;
  comment(owner: string, repo: string, issueNumber: number, login: string, body: string): Promise<{ id: number }>;
  editComment(owner: string, repo: string, commentId: number, login: string, body: string): Promise<void>;
  idle(): Promise<void>;
  deliveries: Delivery[];
  redeliver(deliveryId: string): Promise<number>;
  issues(owner: string, repo: string): SimIssueView[];
  labels(owner: string, repo: string): string[];
  actionsSecret(owner: string, repo: string, name: string, environment?: string): string | undefined;
  checkRuns(owner: string, repo: string): SimCheckRunView[];
  setFile(owner: string, repo: string, path: string, content: string): Promise<void>;
  setLatency(ms: number): void;
  fail(rule: FaultRule): void;
  requests: RequestLog[];
  // extensions
  /** create a deployment environment (GitHub 404s environment secrets for unknown environments) */
  addEnvironment(owner: string, repo: string, name: string): void;
  /** remove all fault rules */
  clearFaults(): void;
  /** opt-in GitHub secondary rate limit on content creation: at most `perMinute` mutating REST calls per token per minute (403 + retry-after); undefined = off */
  setContentRateLimit(perMinute: number | undefined): void;
  /** move the simulated clock (token expiry, JWT iat/exp checks, Date header) by `ms` */
  advanceClock(ms: number): void;
  /** absolute path of the bare repository on disk */
  repoDir(owner: string, repo: string): string;
  /** delete an issue as `login` (a repository admin, as on GitHub): `issues` deleted; 410 Gone from then on; its number is never reused */
  deleteIssue(owner: string, repo: string, issueNumber: number, login: string): void;
  /** lock (or unlock) an issue's conversation as `login` (push access, as on GitHub): `issues` locked / unlocked */
  lockIssue(owner: string, repo: string, issueNumber: number, login: string, reason?: string): void;
  unlockIssue(owner: string, repo: string, issueNumber: number, login: string): void;
  /** rename a repository (same ID): the old name answers 301/307 to `/repositories/{id}/…`; `repository` renamed */
  renameRepo(owner: string, repo: string, newName: string, login?: string): void;
  /** transfer a repository to another account (same ID): redirects as for a rename; `repository` transferred */
  transferRepo(owner: string, repo: string, newOwner: string, login?: string): void;
  /** suspend / unsuspend an installation (as `PUT`/`DELETE /app/installations/{id}/suspended` does) */
  suspendInstallation(id: number, by?: string): void;
  unsuspendInstallation(id: number, by?: string): void;
  /** how long new installation tokens live (GitHub: one hour); undefined = back to one hour */
  setTokenLifetime(ms: number | undefined): void;
  /** clone URL with credentials for `login` embedded */
  authedCloneUrl(owner: string, repo: string, login: string): string;
}

class Sim implements GitHubSim {
  url = ""; host = ""; apiUrl = "";
  state = new SimState();
  hooks: WebhookDispatcher;
  core!: SimCore;
  server!: SimServer;
  private http!: Server;
  private userTokens = new Map<string, string>();

  constructor(public dataDir: string, private ownsDataDir: boolean) {
    this.hooks = new WebhookDispatcher(() => this.state.app);
  }

  async listen(port: number) {
    this.core = new SimCore(this.state, { web: "", api: "" }, this.hooks, this.dataDir);
    this.server = new SimServer(this.core);
    this.http = createServer(this.server.handle);
    this.http.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(port, "127.0.0.1", () => resolve());
    });
    const addr = this.http.address();
    const p = typeof addr === "object" && addr ? addr.port : port;
    this.host = `127.0.0.1:${p}`;
    this.url = `http://${this.host}`;
    this.apiUrl = `${this.url}/api/v3`;
    this.core.urls.web = this.url;
    this.core.urls.api = this.apiUrl;
  }

  get deliveries() { return this.hooks.deliveries; }
  get requests() { return this.server.requests; }

  async close() {
    await this.idle().catch(() => {});
    this.http.closeAllConnections?.();
    await new Promise<void>((r) => this.http.close(() => r()));
    if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  addApp(a: AddAppOptions) {
    const bot = this.state.ensureUser(`${a.slug}[bot]`, "Bot");
    this.state.app = {
      id: a.appId, slug: a.slug, name: a.name ?? a.slug, publicKeyPem: a.publicKeyPem, webhookSecret: a.webhookSecret,
      webhookUrl: a.webhookUrl, hookId: this.state.nextId("hook", 400_000_000), permissions: { ...(a.permissions ?? DEFAULT_APP_PERMISSIONS) },
      events: [...(a.events ?? DEFAULT_APP_EVENTS)], botUser: bot, owner: a.owner ?? `${a.slug}-owner`, createdAt: new Date(),
    };
  }
  setWebhookUrl(url: string) {
    if (!this.state.app) throw new Error("setWebhookUrl: call addApp first");
    this.state.app.webhookUrl = url;
  }
  addUser(login: string, opts: { type?: "User" | "Bot"; email?: string } = {}) {
    const u = this.state.ensureUser(login, opts.type ?? "User", opts.email);
    if (opts.type) u.type = opts.type;
    if (opts.email) u.email = opts.email;
  }
  addInstallation(inst: { id: number; account: string; accountType?: "Organization" | "User" }) {
    const type = inst.accountType ?? "Organization";
    const u = this.state.ensureUser(inst.account, type);
    u.type = type;
    if (type === "Organization") { u.email = null; u.name = null; }
    this.state.installations.set(inst.id, { id: inst.id, account: u.login, accountType: type, createdAt: new Date() });
  }
  async addRepo(owner: string, name: string, opts: { private?: boolean; defaultBranch?: string; forkOf?: string } = {}) {
    if (this.state.getRepo(owner, name)) throw new Error(`addRepo: ${owner}/${name} exists`);
    const parent = opts.forkOf ? this.repo(opts.forkOf.split("/")[0], opts.forkOf.split("/")[1]) : undefined;
    const ownerUser = this.state.ensureUser(owner);
    // A renamed repository keeps its directory: a new one under its old name gets another.
    let dir = join(this.dataDir, ownerUser.login, `${name}.git`);
    for (let n = 2; existsSync(dir); n++) dir = join(this.dataDir, ownerUser.login, `${name}~${n}.git`);
    await mkdir(join(this.dataDir, ownerUser.login), { recursive: true });
    const defaultBranch = opts.defaultBranch ?? "main";
    await initBare(dir, defaultBranch);
    const now = new Date();
    const repo: SimRepo = {
      id: this.state.nextId("repo", 700_000_000), owner: ownerUser.login, name, private: !!opts.private, defaultBranch, dir,
      createdAt: now, updatedAt: now, pushedAt: now, collaborators: new Map(), issues: [], labels: [], checkRuns: [],
      secrets: new Map(), environments: new Map(), seenCommits: new Set(), ...(parent ? { forkOf: parent } : {}),
    };
    this.state.repos.set(this.state.repoKey(ownerUser.login, name), repo);
    // GitHub: creating a repository under a renamed one's old name ends the redirect.
    this.state.redirects.delete(this.state.repoKey(ownerUser.login, name));
    return { cloneUrl: `${this.url}/${ownerUser.login}/${name}.git` };
  }
  private repo(owner: string, name: string): SimRepo {
    const r = this.state.getRepo(owner, name);
    if (!r) throw new Error(`unknown repo ${owner}/${name}`);
    return r;
  }
  repoDir(owner: string, repo: string) { return this.repo(owner, repo).dir; }
  setCollaborator(owner: string, repo: string, login: string, role: Role) {
    const u = this.state.ensureUser(login);
    this.repo(owner, repo).collaborators.set(u.login, role);
  }
  userToken(login: string): string {
    const u = this.state.ensureUser(login);
    let t = this.userTokens.get(u.login);
    if (!t) {
      t = randomToken("ghp");
      this.state.tokens.set(t, { token: t, kind: "user", login: u.login });
      this.userTokens.set(u.login, t);
    }
    return t;
  }
  authedCloneUrl(owner: string, repo: string, login: string) {
    const r = this.repo(owner, repo);
    return `http://${encodeURIComponent(login)}:${this.userToken(login)}@${this.host}/${r.owner}/${r.name}.git`;
  }

  async push(owner: string, repoName: string, opts: { branch: string; pusher: string; commits: Array<{ message: string; files: Record<string, string | Buffer | null> }>; force?: boolean; from?: string }) {
    const repo = this.repo(owner, repoName);
    const user = this.state.ensureUser(opts.pusher);
    const ref = opts.branch.startsWith("refs/") ? opts.branch : `refs/heads/${opts.branch}`;
    const refs = await listRefs(repo.dir);
    const before = refs.get(ref) ?? ZERO_SHA;
    let parent: string | undefined = opts.from ?? (before !== ZERO_SHA ? before : refs.get(`refs/heads/${repo.defaultBranch}`));
    const tmp = await mkdtemp(join(tmpdir(), "ghsim-push-"));
    try {
      await git(["init", "-q", "--bare", tmp]);
      await writeFile(join(tmp, "objects", "info", "alternates"), join(repo.dir, "objects") + "\n");
      const shas: string[] = [];
      let t = Date.now();
      for (const c of opts.commits) {
        parent = await buildCommit(tmp, {
          parent, files: c.files, message: c.message, author: { name: user.name ?? user.login, email: user.email ?? `${user.login}@users.noreply.github.local` },
          indexFile: join(tmp, "sim-index"), date: new Date(t),
        });
        t += 1000;
        shas.push(parent);
      }
      if (!parent) throw new Error("push: nothing to push (no commits and no base)");
      const url = this.authedCloneUrl(repo.owner, repo.name, user.login);
      const r = await git(["-c", "credential.helper=", "push", "--porcelain", ...(opts.force ? ["--force"] : []), url, `${parent}:${ref}`], { gitDir: tmp, allowFail: true });
      await this.server.settled();
      if (r.code !== 0) throw new Error(`push to ${repo.owner}/${repo.name} ${ref} as ${user.login} failed: ${r.stderr.trim() || r.stdout.toString().trim()}`);
      return { before, after: parent, shas };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  async comment(owner: string, repoName: string, issueNumber: number, login: string, body: string) {
    const repo = this.repo(owner, repoName);
    const issue = repo.issues.find((i) => i.number === issueNumber);
    if (!issue) throw new Error(`comment: no issue #${issueNumber} in ${owner}/${repoName}`);
    const u = this.state.ensureUser(login);
    if (issue.locked && !mayCommentWhenLocked(this.state, repo, { kind: "user", login: u.login }))
      throw new Error(`comment: ${issueLocked().message}`);
    const c = addComment(this.core, repo, issue, u.login, body, false);
    return { id: c.id };
  }
  async editComment(owner: string, repoName: string, commentId: number, login: string, body: string) {
    const repo = this.repo(owner, repoName);
    for (const issue of repo.issues) {
      const c = issue.comments.find((x) => x.id === commentId);
      if (!c) continue;
      const from = c.body;
      c.body = body;
      c.updatedAt = new Date();
      emitComment(this.core, repo, issue, c, "edited", this.state.ensureUser(login).login, { changes: { body: { from } } });
      return;
    }
    throw new Error(`editComment: no comment ${commentId} in ${owner}/${repoName}`);
  }

  async idle() {
    do {
      await this.server.settled();
      await this.hooks.idle();
    } while (this.server.busy());
  }
  redeliver(id: string) { return this.hooks.redeliver(id); }
  issues(owner: string, repo: string) { return this.repo(owner, repo).issues.map(issueView) as SimIssueView[]; }
  labels(owner: string, repo: string) { return this.repo(owner, repo).labels.map((l) => l.name); }
  actionsSecret(owner: string, repo: string, name: string, environment?: string) {
    const r = this.repo(owner, repo);
    const holder = environment ? r.environments.get(environment) : r;
    return holder?.secrets.get(name.toUpperCase())?.value;
  }
  checkRuns(owner: string, repo: string) { return this.repo(owner, repo).checkRuns.map(checkRunView); }
  addEnvironment(owner: string, repo: string, name: string) { ensureEnvironment(this.state, this.repo(owner, repo), name); }

  async setFile(owner: string, repoName: string, path: string, content: string) {
    const repo = this.repo(owner, repoName);
    await this.server.withRepoLock(repo.dir, async () => {
      const ref = `refs/heads/${repo.defaultBranch}`;
      const refs = await listRefs(repo.dir);
      const parent = refs.get(ref);
      const tmp = await mkdtemp(join(tmpdir(), "ghsim-idx-"));
      try {
        const owner = this.state.ensureUser(repo.owner);
        const sha = await buildCommit(repo.dir, {
          parent, files: { [path]: content }, message: `Update ${path}`,
          author: { name: owner.name ?? owner.login, email: owner.email ?? `${owner.login}@users.noreply.github.local` }, indexFile: join(tmp, "index"),
        });
        await git(["update-ref", ref, sha, parent ?? ZERO_SHA], { gitDir: repo.dir });
        repo.seenCommits.add(sha);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    });
  }

  deleteIssue(owner: string, repoName: string, issueNumber: number, login: string) {
    const repo = this.repo(owner, repoName);
    const issue = repo.issues.find((i) => i.number === issueNumber);
    if (!issue) throw new Error(`deleteIssue: no issue #${issueNumber} in ${owner}/${repoName}`);
    const u = this.state.ensureUser(login);
    if (this.state.roleOf(repo, u.login) !== "admin") throw new Error(`deleteIssue: ${u.login} is not an admin of ${repo.owner}/${repo.name}`);
    repo.issues = repo.issues.filter((i) => i !== issue);
    (repo.deletedIssues ??= new Map()).set(issue.number, new Date());
    emitIssue(this.core, repo, issue, "deleted", u.login);
  }
  lockIssue(owner: string, repoName: string, issueNumber: number, login: string, reason?: string) {
    this.setLock(owner, repoName, issueNumber, login, true, reason);
  }
  unlockIssue(owner: string, repoName: string, issueNumber: number, login: string) {
    this.setLock(owner, repoName, issueNumber, login, false);
  }
  private setLock(owner: string, repoName: string, issueNumber: number, login: string, locked: boolean, reason?: string) {
    const repo = this.repo(owner, repoName);
    const issue = repo.issues.find((i) => i.number === issueNumber);
    if (!issue) throw new Error(`lock: no issue #${issueNumber} in ${owner}/${repoName}`);
    const u = this.state.ensureUser(login);
    if (!["admin", "maintain", "write", "triage"].includes(this.state.roleOf(repo, u.login) ?? "")) throw new Error(`lock: ${u.login} has no push access to ${repo.owner}/${repo.name}`);
    if (reason !== undefined && !LOCK_REASONS.includes(reason)) throw new Error(`lock: reason must be one of ${LOCK_REASONS.join(", ")}`);
    if (issue.locked === locked) return;
    issue.locked = locked;
    issue.lockReason = locked ? (reason ?? null) : null;
    issue.updatedAt = new Date();
    emitIssue(this.core, repo, issue, locked ? "locked" : "unlocked", u.login);
  }
  renameRepo(owner: string, repoName: string, newName: string, login?: string) {
    const repo = this.repo(owner, repoName);
    if (this.state.getRepo(repo.owner, newName) && newName.toLowerCase() !== repo.name.toLowerCase()) throw new Error(`renameRepo: ${repo.owner}/${newName} exists`);
    const from = repo.name;
    this.move(repo, repo.owner, newName);
    this.core.emit("repository", repo, login ?? repo.owner, { action: "renamed", changes: { repository: { name: { from } } } });
  }
  transferRepo(owner: string, repoName: string, newOwner: string, login?: string) {
    const repo = this.repo(owner, repoName);
    const to = this.state.ensureUser(newOwner);
    if (this.state.getRepo(to.login, repo.name)) throw new Error(`transferRepo: ${to.login}/${repo.name} exists`);
    const old = this.state.ensureUser(repo.owner);
    this.move(repo, to.login, repo.name);
    const from = old.type === "Organization" ? { organization: organization(this.core.urls, old.login, old.id) } : { user: simpleUser(this.core.urls, old) };
    this.core.emit("repository", repo, login ?? to.login, { action: "transferred", changes: { owner: { from } } });
  }
  /** Re-keys a repository (same ID, same directory) and leaves its old name redirecting to it. */
  private move(repo: SimRepo, owner: string, name: string) {
    const oldKey = this.state.repoKey(repo.owner, repo.name);
    this.state.repos.delete(oldKey);
    repo.owner = owner;
    repo.name = name;
    repo.updatedAt = new Date();
    const newKey = this.state.repoKey(owner, name);
    this.state.repos.set(newKey, repo);
    if (oldKey !== newKey) this.state.redirects.set(oldKey, repo.id);
    this.state.redirects.delete(newKey);
  }
  suspendInstallation(id: number, by?: string) { this.suspension(id, true, by); }
  unsuspendInstallation(id: number, by?: string) { this.suspension(id, false, by); }
  private suspension(id: number, suspended: boolean, by?: string) {
    const inst = this.state.installations.get(id);
    if (!inst) throw new Error(`unknown installation ${id}`);
    setSuspended(this.core, inst, suspended, by ?? `${this.state.app?.slug ?? "app"}[bot]`);
  }
  setTokenLifetime(ms: number | undefined) { this.state.tokenLifetimeMs = ms ?? 60 * 60 * 1000; }

  setLatency(ms: number) { this.server.latencyMs = ms; }
  advanceClock(ms: number) { this.state.clockOffsetMs += ms; }
  setContentRateLimit(perMinute: number | undefined) { this.server.contentPerMinute = perMinute; }
  fail(rule: FaultRule) { this.server.faults.push({ ...rule, remaining: rule.times ?? Infinity }); }
  clearFaults() { this.server.faults.length = 0; }
}

export async function startGitHubSim(opts: GitHubSimOptions = {}): Promise<GitHubSim> {
  const own = !opts.dataDir;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), "ghsim-")));
  await mkdir(dataDir, { recursive: true });
  const sim = new Sim(dataDir, own);
  await sim.listen(opts.port ?? 0);
  if (opts.latencyMs) sim.setLatency(opts.latencyMs);
  return sim;
}
