import { NotYet } from "../jobs/not-yet.js";
import { redactKeyId } from "../detect/index.js";
import { isIssueGone, isIssueLocked } from "../github/errors.js";
import { closeIssue, comment } from "../github/issues.js";
import { MAX_ISSUE_BODY } from "../github/issue-text.js";
import { fullName, type Octokit } from "../github/types.js";
import { releaseIssueClaim } from "../store/reconcile.js";
import type { Deps } from "./context.js";
import type { RepoInfo } from "./leak.js";

/** What keyfence has to add to a key's issue: a new place, a rotation's summary, why it stopped. */
export interface IssueUpdate {
  text: string;
  /** Close the issue afterwards (a finished rotation). */
  close?: "completed" | "not_planned";
  /**
   * The text must reach a replacement issue too (a rotation's outcome). False when the replacement's
   * own report already says it (new places are listed in it).
   */
  carry: boolean;
}

/** How long a worker's reservation to open a replacement issue holds (as for the first one, in leak.ts). */
const CLAIM_MS = 30_000;

/**
 * Adds an update to the key's issue in this repository, without ever losing it:
 *
 * - a **locked** conversation (GitHub refuses an app's comment with 403, but lets it edit the issue):
 *   the text is appended to the issue's body;
 * - a **deleted** issue (410 Gone): a fresh issue is opened for the key with its whole report, the
 *   store remembers it in place of the deleted one (one reservation, so two workers open one issue),
 *   and the text is posted there when it must be carried.
 *
 * `reopen` opens (or finds, by its marker) and records the key's issue: leak.ts's openAndRecord.
 * Returns the number of the issue that holds the report now. A replacement is opened at most once
 * per call: if it is deleted as well, the next update opens the next one.
 */
export async function updateKeyIssue(
  deps: Deps,
  octokit: Octokit,
  repo: RepoInfo,
  keyId: string,
  number: number,
  update: IssueUpdate,
  reopen: () => Promise<number>,
): Promise<number> {
  try {
    try {
      await comment(octokit, repo, number, update.text);
    } catch (err) {
      if (!isIssueLocked(err)) throw err;
      await appendToBody(deps, octokit, repo, keyId, number, update.text);
    }
    if (update.close) await closeIssue(octokit, repo, number, update.close);
    return number;
  } catch (err) {
    if (!isIssueGone(err)) throw err;
  }
  const replacement = await replaceDeleted(deps, repo, keyId, number, reopen);
  if (update.carry) await comment(octokit, repo, replacement, update.text);
  if (update.close) await closeIssue(octokit, repo, replacement, update.close);
  return replacement;
}

/**
 * A reply to a command on an issue (a refusal, a dry run): on a locked or deleted issue there is
 * nowhere to say it, so it is logged and kept in the audit trail instead; nothing is retried.
 */
export async function replyOnIssue(deps: Deps, octokit: Octokit, repo: RepoInfo | { owner: string; repo: string }, number: number, text: string, keyId?: string): Promise<void> {
  try {
    await comment(octokit, repo, number, text);
  } catch (err) {
    if (!isIssueLocked(err) && !isIssueGone(err)) throw err;
    const why = isIssueGone(err) ? "the issue was deleted" : "the conversation is locked";
    deps.log.warn({ repo: fullName(repo), issue: number, why }, "reply not posted");
    await deps.store.logAction({ keyId, repo: fullName(repo), action: "reply-not-posted", detail: `#${number}: ${why}` });
  }
}

/** Closes the key's issue, unless it is gone already. */
export async function closeKeyIssue(octokit: Octokit, repo: RepoInfo | { owner: string; repo: string }, number: number, reason: "completed" | "not_planned"): Promise<void> {
  try {
    await closeIssue(octokit, repo, number, reason);
  } catch (err) {
    if (!isIssueGone(err)) throw err;
  }
}

async function appendToBody(deps: Deps, octokit: Octokit, repo: RepoInfo, keyId: string, number: number, text: string): Promise<void> {
  const { data } = await octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}", { owner: repo.owner, repo: repo.repo, issue_number: number });
  const body = data.body ?? "";
  // A job run twice appends once.
  if (body.includes(text)) return;
  const note = ["", "", "---", "", "_This conversation is locked, so keyfence adds here what it would have commented:_", "", text].join("\n");
  let next = body + note;
  if (next.length > MAX_ISSUE_BODY) {
    const marker = "\n\n…(earlier updates trimmed: GitHub keeps at most 65 536 characters)";
    next = body.slice(0, Math.max(0, MAX_ISSUE_BODY - note.length - marker.length)) + marker + note;
  }
  await octokit.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", { owner: repo.owner, repo: repo.repo, issue_number: number, body: next });
  await deps.store.logAction({ keyId, repo: fullName(repo), action: "issue-locked", detail: `#${number} is locked: the update was added to its description` });
  deps.log.info({ key: redactKeyId(keyId), repo: fullName(repo), issue: number }, "issue locked: update added to its description");
}

async function replaceDeleted(deps: Deps, repo: RepoInfo, keyId: string, gone: number, reopen: () => Promise<number>): Promise<number> {
  const name = fullName(repo);
  if (!(await deps.store.claimReplacement(name, keyId, gone, CLAIM_MS))) {
    const row = await deps.store.issueFor(name, keyId);
    if (row && row.number > 0) return row.number; // another run opened the replacement already
    throw new NotYet("another worker is opening this key's issue; retrying");
  }
  await deps.store.logAction({ keyId, repo: name, action: "issue-deleted", detail: `issue #${gone} was deleted on GitHub: opening a new one` });
  deps.log.warn({ key: redactKeyId(keyId), repo: name, issue: gone }, "issue deleted on GitHub: opening a new one");
  try {
    return await reopen();
  } catch (err) {
    // Give the reservation back: the retry opens it (or finds it by its marker).
    await releaseIssueClaim(deps.store, name, keyId);
    throw err;
  }
}
