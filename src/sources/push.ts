import { scanPatch, type Finding } from "../detect/index.js";
import type { Octokit, RepoRef } from "../github/types.js";

export interface PushCommit {
  id: string;
  distinct?: boolean;
}

export interface PushPayload {
  ref: string;
  before: string;
  after: string;
  deleted: boolean;
  forced?: boolean;
  commits: PushCommit[];
  pusher?: { name?: string };
  sender?: { login?: string };
}

export interface CommitFinding extends Finding {
  commitSha: string;
  path: string;
}

/**
 * Scans each new commit of a push on its own (not the push's net diff): a key added in one commit
 * and removed in the next is still in the history.
 */
export async function scanPushViaApi(octokit: Octokit, repo: RepoRef, push: PushPayload): Promise<CommitFinding[]> {
  if (push.deleted) return [];
  const out: CommitFinding[] = [];
  for (const commit of push.commits) {
    for (const file of await commitFiles(octokit, repo, commit.id)) {
      if (!file.patch || file.status === "removed") continue;
      for (const f of scanPatch(file.patch, { path: file.filename })) {
        out.push({ ...f, commitSha: commit.id, path: file.filename });
      }
    }
  }
  return out;
}

interface ChangedFile {
  filename: string;
  status: string;
  patch?: string;
}

/** A commit's changed files; GitHub pages them (up to 3000) through the commit endpoint itself. */
async function commitFiles(octokit: Octokit, repo: RepoRef, sha: string): Promise<ChangedFile[]> {
  const files: ChangedFile[] = [];
  for (let page = 1; page <= 30; page++) {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/commits/{ref}", { ...repo, ref: sha, per_page: 100, page });
    const batch = (data.files ?? []) as ChangedFile[];
    files.push(...batch);
    if (batch.length < 100) break;
  }
  return files;
}
