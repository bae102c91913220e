import { isIgnored, loadRepoSettings } from "../config/repo.js";
import { redeliverFailed } from "../github/deliveries.js";
import { fullName, type Octokit } from "../github/types.js";
import { scanCommits } from "../sources/push-git.js";
import { readOnlyRepoToken } from "../github/tokens.js";
import { forgetScannedRef, recordScannedRef, scannedRefs } from "../store/reconcile.js";
import type { Deps } from "./context.js";
import { recordAndContain, type RepoInfo } from "./leak.js";
import type { PushJob } from "./push.js";
import { queueReport } from "./report.js";
import { currentRepo } from "./repos.js";
import { unparkInstallation } from "./suspension.js";

/**
 * Nothing pushed may escape because a webhook never came. Two safety nets, both idempotent:
 *
 * 1. Redelivery: the app's failed webhook deliveries keyfence has no record of are asked for again
 *    (src/github/deliveries.ts). Covers keyfence being down or answering 5xx.
 * 2. Reconciliation: every push job records the head it scanned per (repository, ref); a sweep lists
 *    each installation repository's branches and tags and queues a scan of whatever moved since —
 *    the only way to see pushes GitHub sends no event for (more than three tags at once).
 *
 * Both run once when keyfence starts and then every KEYFENCE_RECONCILE_INTERVAL seconds.
 */

export const ZERO_SHA = "0000000000000000000000000000000000000000";
const ZERO = /^0+$/;

/** A ref whose head moved without keyfence scanning it. */
export interface ReconcileJob {
  installationId: number;
  repo: RepoInfo;
  ref: string;
  /** The head last scanned on this ref, or zero for a ref never seen. */
  before: string;
  after: string;
  /** Heads already scanned on the repository's other refs: their history needs no second look. */
  scanned: string[];
}

export interface ReconcileSettings {
  /** Seconds between sweeps; 0 = only once at start. */
  intervalSeconds: number;
  /** Off entirely (KEYFENCE_RECONCILE=off). */
  enabled: boolean;
  /** Delay before the queued scans run, so redelivered pushes get there first (ms). */
  scanDelayMs: number;
}

export function reconcileSettings(env: NodeJS.ProcessEnv): ReconcileSettings {
  const raw = env.KEYFENCE_RECONCILE_INTERVAL ?? "600";
  const interval = Number(raw);
  if (!Number.isFinite(interval) || interval < 0) throw new Error(`invalid keyfence settings:\n  KEYFENCE_RECONCILE_INTERVAL: must be a number of seconds (got ${raw})`);
  return { intervalSeconds: interval, enabled: env.KEYFENCE_RECONCILE !== "off", scanDelayMs: Number(env.KEYFENCE_RECONCILE_SCAN_DELAY_MS ?? 3000) || 0 };
}

/** The push job, then a note of the head it scanned; a gap before it (a lost push) is queued for a scan. */
export async function scanPushAndRecord(deps: Deps, pushed: PushJob, scan: (deps: Deps, job: PushJob) => Promise<void>): Promise<void> {
  // Under the repository's current name, should it have been renamed or transferred since the push.
  const job: PushJob = { ...pushed, repo: await currentRepo(deps, pushed.installationId, pushed.repo) };
  const name = fullName(job.repo);
  const known = (await scannedRefs(deps.store, name)).get(job.push.ref);
  if (known && !ZERO.test(job.push.before) && known !== job.push.before && known !== job.push.after) {
    // The ref moved from `known` to `before` without keyfence seeing it: scan that too.
    const gap: ReconcileJob = { installationId: job.installationId, repo: job.repo, ref: job.push.ref, before: known, after: job.push.before, scanned: [] };
    await deps.queue.enqueue("reconcile-ref", gap, { dedupeKey: `reconcile:${name}:${job.push.ref}:${known}..${job.push.before}` });
  }
  await scan(deps, job);
  if (job.push.deleted || ZERO.test(job.push.after)) await forgetScannedRef(deps.store, name, job.push.ref);
  else await recordScannedRef(deps.store, { repo: name, ref: job.push.ref, sha: job.push.after, installationId: job.installationId });
}

/** Lists every installation repository's refs and queues a scan of each that moved since it was scanned. */
export async function sweepRefs(deps: Deps, opts: { scanDelayMs?: number } = {}): Promise<{ repos: number; queued: number }> {
  const app = await deps.githubApp();
  const installations = (await app.paginate("GET /app/installations", { per_page: 100 })) as Array<{ id: number; suspended_at?: string | null }>;
  let repos = 0;
  let queued = 0;
  for (const inst of installations) {
    // A suspended installation has no API access: its jobs stay parked, its refs wait (src/pipeline/suspension.ts).
    if (inst.suspended_at) continue;
    try {
      // Active again without keyfence hearing of it (a missed `installation.unsuspend`): its parked jobs go.
      await unparkInstallation(deps, inst.id);
      const r = await sweepInstallation(deps, inst.id, opts);
      repos += r.repos;
      queued += r.queued;
    } catch (err) {
      deps.log.warn({ installation: inst.id, err: (err as Error).message }, "reconcile: could not list the installation's repositories");
    }
  }
  return { repos, queued };
}

/** The sweep of one installation's repositories (also run when it is unsuspended). */
export async function sweepInstallation(deps: Deps, installationId: number, opts: { scanDelayMs?: number } = {}): Promise<{ repos: number; queued: number }> {
  const octokit = await deps.github(installationId);
  const list = (await octokit.paginate("GET /installation/repositories", { per_page: 100 })) as Array<{
    id: number; name: string; owner: { login: string }; html_url: string; clone_url?: string; private: boolean; fork?: boolean;
  }>;
  let queued = 0;
  for (const r of list) {
    const repo: RepoInfo = { id: r.id, owner: r.owner.login, repo: r.name, htmlUrl: r.html_url, cloneUrl: r.clone_url, private: r.private };
    try {
      queued += await sweepRepo(deps, octokit, installationId, await currentRepo(deps, installationId, repo), opts.scanDelayMs ?? 0);
    } catch (err) {
      deps.log.warn({ repo: fullName(repo), err: (err as Error).message }, "reconcile: could not read the repository's refs");
    }
  }
  return { repos: list.length, queued };
}

async function listRefs(octokit: Octokit, repo: RepoInfo): Promise<Map<string, string>> {
  const refs = new Map<string, string>();
  for (const kind of ["heads", "tags"]) {
    try {
      const { data } = await octokit.request("GET /repos/{owner}/{repo}/git/matching-refs/{ref}", { owner: repo.owner, repo: repo.repo, ref: kind });
      for (const r of data) refs.set(r.ref, r.object.sha);
    } catch (err) {
      if ((err as { status?: number }).status === 409) return refs; // an empty repository
      throw err;
    }
  }
  return refs;
}

async function sweepRepo(deps: Deps, octokit: Octokit, installationId: number, repo: RepoInfo, delayMs: number): Promise<number> {
  const name = fullName(repo);
  const known = await scannedRefs(deps.store, name);
  const now = await listRefs(octokit, repo);
  if (known.size === 0) {
    // Never scanned here: history is the backfill's job (backfill.on_install). From now on, every move counts.
    for (const [ref, sha] of now) await recordScannedRef(deps.store, { repo: name, ref, sha, installationId });
    if (now.size > 0) deps.log.info({ repo: name, refs: now.size }, "reconcile: first sight of the repository, its heads noted");
    return 0;
  }
  for (const ref of known.keys()) if (!now.has(ref)) await forgetScannedRef(deps.store, name, ref);
  let queued = 0;
  const scanned = [...new Set(known.values())];
  for (const [ref, sha] of now) {
    const before = known.get(ref) ?? ZERO_SHA;
    if (before === sha) continue;
    const job: ReconcileJob = { installationId, repo, ref, before, after: sha, scanned };
    const fresh = await deps.queue.enqueue("reconcile-ref", job, { dedupeKey: `reconcile:${name}:${ref}:${before}..${sha}`, delayMs });
    if (fresh) {
      queued++;
      deps.log.info({ repo: name, ref, before: before.slice(0, 12), after: sha.slice(0, 12) }, "reconcile: a ref moved without a scan; queued");
    }
  }
  return queued;
}

/** Scans the commits a ref gained without keyfence seeing the push, then acts on them like a push. */
export async function reconcileRef(deps: Deps, queued: ReconcileJob): Promise<void> {
  const job: ReconcileJob = { ...queued, repo: await currentRepo(deps, queued.installationId, queued.repo) };
  const name = fullName(job.repo);
  // A webhook (redelivered, or late) may have got there first.
  if ((await scannedRefs(deps.store, name)).get(job.ref) === job.after) return;
  const octokit = await deps.github(job.installationId);
  const token = await readOnlyRepoToken(await deps.githubApp(), job.installationId, job.repo.repo, job.repo.id);
  const access = { cloneUrl: job.repo.cloneUrl ?? `${job.repo.htmlUrl}.git`, token, mirrorsDir: deps.settings.mirrorsDir };
  const all = await scanCommits(job.repo, access, job.after, [job.before, ...job.scanned]);
  const { settings, problems } = await loadRepoSettings(octokit, job.repo);
  const findings = all.filter((f) => !isIgnored(settings, f.path));
  deps.log.info({ repo: name, ref: job.ref, findings: findings.length }, "reconcile: scanned a ref that moved without a webhook");
  const keys = findings.length > 0 ? await recordAndContain(deps, job.repo, findings, { contain: settings.mode === "contain" }) : [];
  await queueReport(deps, {
    id: `sweep:${job.repo.id ?? name}:${job.ref}:${job.before}..${job.after}`,
    installationId: job.installationId,
    repo: job.repo,
    headSha: job.after,
    findings,
    problems,
    keys,
    settings,
  });
  await recordScannedRef(deps.store, { repo: name, ref: job.ref, sha: job.after, installationId: job.installationId });
}

/** Runs redelivery and the sweep at start and every interval; returns a stop function. */
export function startReconciler(deps: Deps, env: NodeJS.ProcessEnv): { stop(): Promise<void>; runOnce(): Promise<void> } {
  const s = reconcileSettings(env);
  let running: Promise<void> | undefined;
  let stopped = false;
  const runOnce = async () => {
    if (!s.enabled || stopped) return;
    if (running) return running;
    // Independent of each other: one failing (or slowed by retries) does not hold the other back.
    running = (async () => {
      await Promise.all([
        (async () => {
          try {
            const asked = await redeliverFailed(await deps.githubApp(), deps.store, deps.log);
            if (asked.length) deps.log.info({ redeliveries: asked.length }, "reconcile: redeliveries asked");
          } catch (err) {
            deps.log.warn({ err: (err as Error).message }, "reconcile: could not check the webhook deliveries");
          }
        })(),
        (async () => {
          try {
            const r = await sweepRefs(deps, { scanDelayMs: s.scanDelayMs });
            if (r.queued > 0) deps.log.info(r, "reconcile: sweep done");
            else deps.log.debug(r, "reconcile: sweep done");
          } catch (err) {
            deps.log.warn({ err: (err as Error).message }, "reconcile: sweep failed");
          }
        })(),
      ]);
    })().finally(() => (running = undefined));
    return running;
  };
  void runOnce();
  const timer = s.enabled && s.intervalSeconds > 0 ? setInterval(() => void runOnce(), s.intervalSeconds * 1000) : undefined;
  timer?.unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

