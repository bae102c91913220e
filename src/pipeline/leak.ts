import { NotYet } from "../jobs/not-yet.js";
import { createHash } from "node:crypto";
import { NotPermittedError } from "../aws/gateway.js";
import { accountFromKeyId, redactKeyId } from "../detect/index.js";
import { ISSUE_LABEL, keyMarker, leakIssueBody, leakIssueTitle, type LeakReport } from "../github/issue-text.js";
import { ensureLabel, findIssueByMarker, openIssue } from "../github/issues.js";
import { code } from "../github/markdown.js";
import { fullName, type Octokit, type RepoRef } from "../github/types.js";
import type { CommitFinding } from "../sources/push.js";
import type { Deps } from "./context.js";
import { metrics, observeContainment } from "../metrics/index.js";
import { releaseIssueClaim } from "../store/reconcile.js";
import { claimUntold, markListed, markTold } from "../store/told.js";
import { updateKeyIssue } from "./issue-update.js";

export interface RepoInfo extends RepoRef {
  /** GitHub's repository ID: the same after a rename or transfer (src/pipeline/repos.ts). */
  id?: number;
  htmlUrl: string;
  cloneUrl?: string;
  private?: boolean;
}

/** Only a hash of a secret is ever kept. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

const initialState = { "live-candidate": "found", temporary: "temporary", example: "example" } as const;

/** How a key's issue is opened. */
export interface TellOptions {
  labels: string[];
  assignees: () => Promise<string[]>;
  /** Names the report telling it (the same on a retry): what it claims of the untold places (src/store/told.ts). */
  reportId: string;
}

export interface HandleOptions extends TellOptions {
  /** Deactivate live keys (mode: contain), or only report them (mode: report). */
  contain: boolean;
}

const defaults: HandleOptions = { contain: true, labels: [ISSUE_LABEL], assignees: async () => [], reportId: "scan" };

/** A key to tell about in a repository's issue (the places are in the store: src/store/told.ts). */
export interface FoundKey {
  keyId: string;
}

/** Everything that follows a scan in which credentials were found, in one go: record, contain, tell. */
export async function handleFindings(
  deps: Deps,
  octokit: Octokit,
  repo: RepoInfo,
  findings: CommitFinding[],
  opts: HandleOptions = defaults,
): Promise<void> {
  for (const key of await recordAndContain(deps, repo, findings, opts)) await tellKey(deps, octokit, repo, key, opts);
}

/**
 * Records every place found and contains each key (example keys get no AWS call). Returns the keys
 * to tell about, which needs GitHub only: a push queues that as a job of its own (./report.ts).
 */
export async function recordAndContain(deps: Deps, repo: RepoInfo, findings: CommitFinding[], opts: { contain: boolean }): Promise<FoundKey[]> {
  const byKey = new Map<string, CommitFinding[]>();
  for (const f of findings) byKey.set(f.keyId, [...(byKey.get(f.keyId) ?? []), f]);

  const found: FoundKey[] = [];
  for (const [keyId, places] of byKey) {
    const secret = places.find((p) => p.secret)?.secret;
    const kind = places[0].kind;
    await deps.store.upsertKey({ keyId, kind, secretHash: secret ? hashSecret(secret) : null, state: initialState[kind] });
    let fresh = 0;
    for (const p of places) {
      const isNew = await deps.store.addFinding({
        keyId,
        repo: fullName(repo),
        commitSha: p.commitSha,
        path: p.path,
        line: p.line,
        kind: p.kind,
        secretHash: p.secret ? hashSecret(p.secret) : null,
      });
      if (isNew) fresh++;
    }
    metrics.findings.inc({ kind }, fresh);
    deps.log.info({ key: redactKeyId(keyId), kind, repo: fullName(repo), places: places.length }, "credential found");
    // Example keys get no AWS call and no issue: the check run notes them.
    if (kind === "example") continue;
    await contain(deps, keyId, { deactivate: opts.contain });
    found.push({ keyId });
  }
  return found;
}

/**
 * Resolves the owner and deactivates the key, once, whichever worker gets there first. With
 * `deactivate: false` (mode: report) only the read-only owner lookups are made.
 */
export async function contain(deps: Deps, keyId: string, opts = { deactivate: true }): Promise<void> {
  const { store, aws } = deps;
  const key = await store.key(keyId);
  if (!key || key.kind === "example") return;
  if (!(await store.claimKey(keyId, ["found", "temporary"], "resolving", CLAIM_MS))) {
    // Held by another worker, or by one that died holding it: try again once its lease is over,
    // rather than finish the job with the key perhaps still active.
    if ((await store.key(keyId))?.state === "resolving") throw new NotYet("another worker is containing this key; retrying");
    return;
  }
  const done = (state: string, patch: Record<string, string | null> = {}) =>
    store.updateKey(keyId, { state, claimed_until: null, ...patch });

  try {
    const { accountId, use } = await lookupOwner(deps, keyId, key.kind);
    await store.updateKey(keyId, { account_id: accountId });
    if (key.kind === "temporary") {
      return await done("temporary", { note: "temporary credentials cannot be deactivated; they expire" });
    }
    if (!use) {
      await store.logAction({ keyId, action: "not-permitted", detail: `account ${accountId} is not one keyfence may act in` });
      return await done("foreign", { note: `account ${accountId} is not one keyfence is configured to act in` });
    }
    await store.updateKey(keyId, {
      user_name: use.userName,
      last_used: use.date ? JSON.stringify({ date: use.date.toISOString(), serviceName: use.serviceName, region: use.region }) : null,
    });
    if (!opts.deactivate) return await done("found");
    if (!key.contained_at) {
      await aws.deactivate(accountId, use.userName, keyId);
      const at = new Date();
      await store.updateKey(keyId, { contained_at: at.toISOString() });
      await store.logAction({ keyId, action: "deactivated", detail: "set the key to Inactive (iam:UpdateAccessKey)" });
      deps.log.info({ key: redactKeyId(keyId), account: accountId }, "key deactivated");
      observeContainment();
    }
    await aws.revokeSessions(accountId, use.userName, new Date());
    await store.logAction({
      keyId,
      action: "sessions-revoked",
      detail: "denied every session issued with it before now (inline policy keyfence-revoke-older-sessions)",
    });
    await done("contained");
  } catch (err) {
    if (err instanceof NotPermittedError) {
      await store.logAction({ keyId, action: "not-permitted", detail: err.message });
      return done("foreign", { note: err.message });
    }
    await done(key.kind === "temporary" ? "temporary" : "found");
    throw err;
  }
}

/** Starts (or joins) the owner lookup of a key: early, while other work goes on, is the point. */
export function lookupOwner(deps: Deps, keyId: string, kind: string) {
  return deps.aws.lookupOwner(keyId, { hint: accountFromKeyId(keyId), temporary: kind === "temporary" });
}

/** Opens the key's issue in this repository, or adds the new places to the one already open. */
export async function tellKey(deps: Deps, octokit: Octokit, repo: RepoInfo, { keyId }: FoundKey, opts: TellOptions): Promise<void> {
  const name = fullName(repo);
  const existing = await deps.store.issueFor(name, keyId);
  if (existing && existing.number > 0) {
    // The places no comment or description has shown yet: this scan's, and any an earlier report
    // recorded but died before telling.
    const untold = await claimUntold(deps.store, name, keyId, opts.reportId);
    if (untold.length === 0) return;
    const lines = untold.map((f) => `- ${code(f.path)}, line ${f.line}, in commit [${f.commit_sha.slice(0, 7)}](${commitUrl(repo, { commitSha: f.commit_sha })})`);
    // A locked issue gets it in its description; a deleted one is replaced by a fresh issue (issue-update.ts).
    const text = [`${code(redactKeyId(keyId))} was pushed again:`, "", ...lines].join("\n");
    await updateKeyIssue(deps, octokit, repo, keyId, existing.number, { text, carry: false }, () => openAndRecord(deps, octokit, repo, keyId, opts));
    await markTold(deps.store, name, keyId, opts.reportId);
    return;
  }
  if (!(await deps.store.claimIssue(name, keyId, CLAIM_MS))) {
    throw new NotYet("another worker is opening this issue; retrying");
  }
  try {
    await openAndRecord(deps, octokit, repo, keyId, opts);
  } catch (err) {
    // GitHub refused or failed (5xx, rate limit): give the reservation back so the retry may open it.
    await releaseIssueClaim(deps.store, name, keyId);
    throw err;
  }
}

/** How long a worker's claim on containing a key or opening its issue holds before another may take over. */
const CLAIM_MS = 30_000;

/** Opens the key's issue in this repository (or finds it by its marker) and records its number. */
export async function openAndRecord(deps: Deps, octokit: Octokit, repo: RepoInfo, keyId: string, opts: Omit<TellOptions, "reportId">): Promise<number> {
  const name = fullName(repo);
  // Read before the report is: every one of these is in the description.
  const listed = (await deps.store.findingsOf(keyId, name)).map((f) => f.id);
  const report = await leakReport(deps, repo, keyId);
  // The marker search needs keyfence's own label on the issue, whatever other labels are configured.
  const labels = [...new Set([ISSUE_LABEL, ...opts.labels])];
  const number =
    (await findIssueByMarker(octokit, repo, report.marker)) ??
    (await (async () => {
      for (const label of labels) await ensureLabel(octokit, repo, label);
      return openIssue(octokit, repo, { title: leakIssueTitle(report), body: leakIssueBody(report), labels, assignees: await opts.assignees() });
    })());
  await deps.store.recordIssue(name, keyId, number);
  await markListed(deps.store, listed);
  await deps.store.logAction({ keyId, repo: name, action: "issue-opened", detail: `opened issue #${number}` });
  deps.log.info({ key: redactKeyId(keyId), repo: name, issue: number }, "issue opened");
  return number;
}

export async function leakReport(deps: Deps, repo: RepoInfo, keyId: string): Promise<LeakReport> {
  const key = (await deps.store.key(keyId))!;
  const findings = await deps.store.findingsOf(keyId, fullName(repo));
  const actions = await deps.store.actionsOf(keyId);
  const lastUsed = key.last_used ? JSON.parse(key.last_used) : undefined;
  const notDone: string[] = [];
  if (key.state === "foreign" || key.state === "temporary") notDone.push(`deactivation: ${key.note ?? "not possible"}`);
  else if (key.state === "found") notDone.push("deactivation: this repository's keyfence settings say `mode: report`, so the key was left active");
  return {
    redactedKeyId: redactKeyId(keyId),
    marker: keyMarker(keyId),
    kind: key.kind as LeakReport["kind"],
    locations: findings.map((f) => ({
      commitSha: f.commit_sha,
      path: f.path,
      line: f.line,
      url: commitUrl(repo, { commitSha: f.commit_sha }),
    })),
    accountId: key.account_id ?? undefined,
    userName: key.user_name ?? undefined,
    lastUsed: lastUsed ? { ...lastUsed, date: new Date(lastUsed.date) } : undefined,
    done: actions
      .filter((a) => a.action === "deactivated" || a.action === "sessions-revoked")
      .map((a) => ({ what: a.detail ?? a.action, at: new Date(a.at) })),
    notDone,
    contained: !!key.contained_at,
  };
}

function commitUrl(repo: RepoInfo, f: { commitSha: string }): string {
  return `${repo.htmlUrl}/commit/${f.commitSha}`;
}
