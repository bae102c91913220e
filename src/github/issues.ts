import { ISSUE_LABEL } from "./issue-text.js";
import type { Octokit, RepoRef } from "./types.js";

/**
 * Finds the keyfence issue for a key by the marker hidden in its body. Used before opening one,
 * so a crash between GitHub's answer and the store's record never leads to a second issue.
 */
export async function findIssueByMarker(octokit: Octokit, repo: RepoRef, marker: string): Promise<number | undefined> {
  const issues = await octokit.paginate("GET /repos/{owner}/{repo}/issues", {
    ...repo,
    labels: ISSUE_LABEL,
    state: "all",
    per_page: 100,
  });
  return issues.find((i) => !i.pull_request && (i.body ?? "").includes(marker))?.number;
}

export async function ensureLabel(octokit: Octokit, repo: RepoRef, name: string, color = "b60205"): Promise<void> {
  try {
    await octokit.request("GET /repos/{owner}/{repo}/labels/{name}", { ...repo, name });
  } catch (err) {
    if ((err as { status?: number }).status !== 404) throw err;
    try {
      await octokit.request("POST /repos/{owner}/{repo}/labels", {
        ...repo,
        name,
        color,
        description: "An AWS credential found by keyfence",
      });
    } catch (e) {
      // Created meanwhile by another worker.
      if ((e as { status?: number }).status !== 422) throw e;
    }
  }
}

export async function openIssue(
  octokit: Octokit,
  repo: RepoRef,
  issue: { title: string; body: string; labels: string[]; assignees?: string[] },
): Promise<number> {
  const { data } = await octokit.request("POST /repos/{owner}/{repo}/issues", { ...repo, ...issue });
  return data.number;
}

export async function comment(octokit: Octokit, repo: RepoRef, issueNumber: number, body: string): Promise<void> {
  await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
    ...repo,
    issue_number: issueNumber,
    body,
  });
}

export async function closeIssue(octokit: Octokit, repo: RepoRef, issueNumber: number, reason: "completed" | "not_planned" = "completed"): Promise<void> {
  await octokit.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", {
    ...repo,
    issue_number: issueNumber,
    state: "closed",
    state_reason: reason,
  });
}

export async function react(octokit: Octokit, repo: RepoRef, commentId: number, content: "eyes" | "+1" | "-1" | "rocket"): Promise<void> {
  await octokit.request("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", {
    ...repo,
    comment_id: commentId,
    content,
  });
}
