// Org-wide backfill: every repository an installation can see, its whole history scanned once
// (src/sources/history.ts) and what it holds fed through the same path as a push: record,
// contain (once per key, whichever repository finds it first), one issue per key per repository.
// Progress is per repository in the store: a run started again continues where it stopped.
import { readOnlyRepoToken } from "../github/tokens.js";
import { isIgnored, loadRepoSettings, type RepoSettings } from "../config/repo.js";
import { fullName, type Octokit } from "../github/types.js";
import { BackfillStore } from "../store/backfill.js";
import { scanHistory, type HistoryFinding, type HistoryProgress } from "../sources/history.js";
import { backfillMirrorPath, mirrorRepo, removeMirror } from "../sources/mirror.js";
import { isGitAuthFailure } from "../github/errors.js";
import { currentRepo } from "./repos.js";
import type { Deps } from "./context.js";
import { handleFindings, type RepoInfo } from "./leak.js";

export type BackfillMode = "report" | "contain";

export interface BackfillTarget {
  installationId: number;
  repo: RepoInfo;
}

/** The durable job: one repository of one run. */
export interface BackfillRepoJob extends BackfillTarget {
  runId: string;
  /** Forced mode; absent: the repository's settings decide. */
  mode?: BackfillMode;
}

/** The job queued for `installation` / `installation_repositories` events. */
export interface BackfillInstallJob {
  installationId: number;
  /** The repositories added (full names); absent: every repository of the installation. */
  repos?: string[];
}

export interface RepoOutcome {
  repo: string;
  status: "done" | "skipped";
  blobs: number;
  bytes: number;
  findings: number;
  mode?: BackfillMode;
}

export interface BackfillRepoOptions {
  leaseMs?: number;
  /** Keep the mirror after a finished scan (default: removed, a finished repository is not scanned again). */
  keepMirror?: boolean;
  onProgress?(repo: string, p: HistoryProgress): void;
}

const DEFAULT_LEASE = 60_000;

/** The mode a repository's history is handled in: the one asked for, else the repository's settings. */
export function modeFor(forced: BackfillMode | undefined, settings: RepoSettings): BackfillMode {
  return forced ?? settings.mode;
}

/**
 * Backfills one repository of a run, unless it is done or another live worker has it. Every
 * step is idempotent: a repository scanned again after a kill records nothing twice and opens
 * no second issue (findings and issues are keyed in the store).
 */
export async function backfillRepo(deps: Deps, planned: BackfillRepoJob, opts: BackfillRepoOptions = {}): Promise<RepoOutcome> {
  const bs = new BackfillStore(deps.store);
  // A repository renamed or transferred since the run was planned: its progress follows it (src/pipeline/repos.ts).
  const job: BackfillRepoJob = { ...planned, repo: await currentRepo(deps, planned.installationId, planned.repo) };
  const name = fullName(job.repo);
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE;
  if (!(await bs.claimRepo(job.runId, name, leaseMs))) {
    const row = await bs.repo(job.runId, name);
    return { repo: name, status: "skipped", blobs: row?.blobs ?? 0, bytes: row?.bytes ?? 0, findings: row?.findings ?? 0 };
  }
  let progress: HistoryProgress = { blobs: 0, bytes: 0, hits: 0 };
  const beat = setInterval(() => void bs.heartbeat(job.runId, name, leaseMs, progress).catch(() => undefined), Math.max(1000, leaseMs / 4));
  beat.unref();
  const log = deps.log.child({ repo: name, run: job.runId });
  try {
    const octokit = await deps.github(job.installationId);
    const dir = backfillMirrorPath(deps.settings.mirrorsDir, job.repo);
    const cloneUrl = job.repo.cloneUrl ?? `${job.repo.htmlUrl}.git`;
    // Each fetch gets a token of its own; one refused (it expired: a long run, or clocks that disagree)
    // is replaced by a fresh one, once. The REST client refreshes its own (src/github/auth.ts).
    const fetchMirror = async () => mirrorRepo({ cloneUrl, token: await readToken(deps, job), dir });
    const mirrored = fetchMirror().catch(async (err: unknown) => {
      if (!isGitAuthFailure(err)) throw err;
      log.warn("git refused the token (expired?): fetching again with a fresh one");
      return fetchMirror();
    });
    const [, { settings }] = await Promise.all([mirrored, loadRepoSettings(octokit, job.repo)]);
    const result = await scanHistory(dir, {
      onProgress: (p) => {
        progress = p;
        opts.onProgress?.(name, p);
      },
    });
    const findings = result.findings.filter((f) => !isIgnored(settings, f.path));
    const mode = modeFor(job.mode, settings);
    for (const f of findings) {
      await bs.addFinding({
        run_id: job.runId,
        repo: name,
        key_id: f.keyId,
        redacted: f.redacted,
        kind: f.kind,
        commit_sha: f.commitSha,
        path: f.path,
        line: f.line,
        col: f.column,
        author: f.author,
        author_email: f.authorEmail,
        authored_at: f.date,
      });
    }
    if (findings.length > 0) {
      await handleFindings(deps, octokit, job.repo, findings, { contain: mode === "contain", labels: settings.labels, assignees: async () => [], reportId: `backfill:${job.runId}:${name}` });
    }
    await bs.finishRepo(job.runId, name, { blobs: result.blobs, bytes: result.bytes, findings: findings.length, mode });
    log.info({ blobs: result.blobs, bytes: result.bytes, findings: findings.length, seconds: result.seconds, mode }, "repository backfilled");
    if (!opts.keepMirror) await removeMirror(dir).catch(() => undefined);
    return { repo: name, status: "done", blobs: result.blobs, bytes: result.bytes, findings: findings.length, mode };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.error({ err: message }, "repository backfill failed");
    await bs.failRepo(job.runId, name, message).catch(() => undefined);
    throw err;
  } finally {
    clearInterval(beat);
  }
}

async function readToken(deps: Deps, job: BackfillRepoJob): Promise<string> {
  return readOnlyRepoToken(await deps.githubApp(), job.installationId, job.repo.repo, job.repo.id);
}

/** At most this many repositories scanned at once by one process, whatever the queue's concurrency. */
const slots = { free: Math.max(1, Number(process.env.KEYFENCE_BACKFILL_CONCURRENCY ?? 2) || 2), waiting: [] as Array<() => void> };

async function withSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (slots.free > 0) slots.free--;
  else await new Promise<void>((r) => slots.waiting.push(r));
  try {
    return await fn();
  } finally {
    const next = slots.waiting.shift();
    if (next) next();
    else slots.free++;
  }
}

/** The `backfill-repo` job: one repository, then the run marked done if it was the last. */
export async function backfillRepoJob(deps: Deps, job: BackfillRepoJob): Promise<void> {
  await withSlot(() => backfillRepo(deps, job));
  const bs = new BackfillStore(deps.store);
  if ((await bs.repos(job.runId)).every((r) => r.state === "done")) await bs.finishRun(job.runId);
}

/** The run ID of a scope: the same command names the same run, so running it again resumes it. */
export function runIdOf(scope: string, mode?: BackfillMode): string {
  return mode ? `${scope}#${mode}` : scope;
}

/** Records the repositories of a run (those already there keep their progress). */
export async function planRun(deps: Deps, runId: string, scope: string, targets: BackfillTarget[], mode?: BackfillMode): Promise<void> {
  const bs = new BackfillStore(deps.store);
  await bs.openRun(runId, scope, mode ?? null);
  for (const t of targets) await bs.addRepo(runId, fullName(t.repo), t.installationId, t.repo);
}

/** Queues one durable job per repository not yet done: any worker of the queue takes them. */
export async function enqueueRun(deps: Deps, runId: string, mode?: BackfillMode): Promise<number> {
  const bs = new BackfillStore(deps.store);
  let n = 0;
  for (const r of await bs.repos(runId)) {
    if (r.state === "done") continue;
    const job: BackfillRepoJob = { runId, installationId: r.installation_id, repo: JSON.parse(r.info) as RepoInfo, mode };
    // One job per attempt: a repository whose earlier job ended (failed, or its worker died) gets a new one.
    if (await deps.queue.enqueue("backfill-repo", job, { dedupeKey: `backfill:${runId}:${r.repo}:${r.scans}:${r.state}` })) n++;
  }
  return n;
}

/**
 * Runs a run's remaining repositories in this process, `concurrency` at a time, and marks the run
 * done when none is left. Repositories another live worker holds are left to it.
 */
export async function runLocally(
  deps: Deps,
  runId: string,
  opts: BackfillRepoOptions & { concurrency?: number; mode?: BackfillMode; onRepo?(o: RepoOutcome | { repo: string; error: string }): void } = {},
): Promise<{ done: number; failed: number; skipped: number }> {
  const bs = new BackfillStore(deps.store);
  const todo = (await bs.repos(runId)).filter((r) => r.state !== "done");
  let next = 0;
  const counts = { done: 0, failed: 0, skipped: 0 };
  const worker = async () => {
    while (next < todo.length) {
      const r = todo[next++]!;
      try {
        const o = await backfillRepo(deps, { runId, installationId: r.installation_id, repo: JSON.parse(r.info) as RepoInfo, mode: opts.mode }, opts);
        counts[o.status === "done" ? "done" : "skipped"]++;
        opts.onRepo?.(o);
      } catch (err) {
        counts.failed++;
        opts.onRepo?.({ repo: r.repo, error: err instanceof Error ? err.message : String(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, worker));
  if ((await bs.repos(runId)).every((r) => r.state === "done")) await bs.finishRun(runId);
  return counts;
}

// ——— Which repositories: an installation's, an organization's, one, or every installation's ———

interface ApiRepo {
  id?: number;
  name: string;
  owner: { login: string } | null;
  html_url: string;
  clone_url?: string;
  private: boolean;
  archived?: boolean;
}

export const repoInfo = (r: ApiRepo): RepoInfo => ({
  ...(r.id ? { id: Number(r.id) } : {}),
  owner: r.owner?.login ?? "",
  repo: r.name,
  htmlUrl: r.html_url,
  cloneUrl: r.clone_url,
  private: r.private,
});

/** Every repository an installation can see (`GET /installation/repositories`, paged). */
export async function installationRepos(octokit: Octokit): Promise<RepoInfo[]> {
  const out: RepoInfo[] = [];
  for (let page = 1; ; page++) {
    const { data } = await octokit.request("GET /installation/repositories", { per_page: 100, page });
    const repos = data.repositories as ApiRepo[];
    out.push(...repos.map(repoInfo));
    if (repos.length < 100) break;
  }
  return out;
}

export type Scope = { kind: "all" } | { kind: "installation"; id: number } | { kind: "org"; name: string } | { kind: "repo"; owner: string; repo: string };

export function scopeName(s: Scope): string {
  switch (s.kind) {
    case "all":
      return "all";
    case "installation":
      return `installation:${s.id}`;
    case "org":
      return `org:${s.name.toLowerCase()}`;
    case "repo":
      return `repo:${s.owner.toLowerCase()}/${s.repo.toLowerCase()}`;
  }
}

/** Resolves a scope to its repositories, with the installation that sees each. */
export async function resolveScope(deps: Pick<Deps, "github" | "githubApp">, scope: Scope): Promise<BackfillTarget[]> {
  const app = await deps.githubApp();
  const ofInstallation = async (id: number) => (await installationRepos(await deps.github(id))).map((repo) => ({ installationId: id, repo }));
  switch (scope.kind) {
    case "installation":
      return ofInstallation(scope.id);
    case "org": {
      const { data } = await app.request("GET /orgs/{org}/installation", { org: scope.name }).catch(async (err: { status?: number }) => {
        if (err.status !== 404) throw err;
        return app.request("GET /users/{username}/installation", { username: scope.name });
      });
      return ofInstallation(data.id);
    }
    case "repo": {
      const { data } = await app.request("GET /repos/{owner}/{repo}/installation", { owner: scope.owner, repo: scope.repo });
      const octokit = await deps.github(data.id);
      const { data: r } = await octokit.request("GET /repos/{owner}/{repo}", { owner: scope.owner, repo: scope.repo });
      return [{ installationId: data.id, repo: repoInfo(r as ApiRepo) }];
    }
    case "all": {
      const out: BackfillTarget[] = [];
      for (let page = 1; ; page++) {
        const { data } = await app.request("GET /app/installations", { per_page: 100, page });
        for (const i of data) out.push(...(await ofInstallation(i.id)));
        if (data.length < 100) break;
      }
      return out;
    }
  }
}

/**
 * `installation.created` and `installation_repositories.added`: the repositories whose settings
 * say `backfill: { on_install: true }` (in the repository or the organization's `.github`) join
 * the installation's run, and their jobs are queued.
 */
export async function backfillOnInstall(deps: Deps, job: BackfillInstallJob): Promise<number> {
  const octokit = await deps.github(job.installationId);
  const repos: RepoInfo[] = [];
  if (!job.repos) repos.push(...(await installationRepos(octokit)));
  for (const full of job.repos ?? []) {
    const [owner, repo] = full.split("/");
    const { data } = await octokit.request("GET /repos/{owner}/{repo}", { owner: owner!, repo: repo! });
    repos.push(repoInfo(data as ApiRepo));
  }
  const wanted: BackfillTarget[] = [];
  for (const repo of repos) {
    const { settings } = await loadRepoSettings(octokit, repo);
    if (settings.backfill.on_install) wanted.push({ installationId: job.installationId, repo });
  }
  if (wanted.length === 0) return 0;
  const scope = scopeName({ kind: "installation", id: job.installationId });
  const runId = runIdOf(scope);
  await planRun(deps, runId, scope, wanted);
  await deps.store.db.updateTable("backfill_runs").set({ state: "running", finished_at: null }).where("id", "=", runId).execute();
  const n = await enqueueRun(deps, runId);
  deps.log.info({ installation: job.installationId, repos: wanted.length, queued: n }, "backfill queued on install");
  return n;
}

export type { HistoryFinding };
