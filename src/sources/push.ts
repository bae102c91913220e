import { scanPatch, type Finding } from "../detect/index.js";
import type { Octokit, RepoRef } from "../github/types.js";

export interface PushCommit {
  id: string;
  distinct?: boolean;
  /** How many files the commit touched, from the payload's added/removed/modified lists. */
  files?: number;
  /** Whether it touched keyfence's settings file. */
  settings?: boolean;
}

export interface PushPayload {
  ref: string;
  before: string;
  after: string;
  created?: boolean;
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

/** GitHub's webhook lists at most this many commits; a push with more must be read with git. */
export const PAYLOAD_COMMIT_LIMIT = 2048;
/** Up to this many commits, one API call per commit is cheaper than a fetch. */
const API_MAX_COMMITS = 20;
/** The commit API returns at most 300 files before paging; beyond, git is cheaper. */
const API_MAX_FILES = 300;

/**
 * How to read a push, decided from the payload alone: the API for small ordinary pushes (fewest
 * calls), git for what the API cannot show well — new refs and force pushes (only the commits no
 * other ref has), long pushes, and commits touching many files.
 */
export function chooseSource(push: PushPayload): "api" | "git" {
  if (push.created || push.forced) return "git";
  if (push.commits.length === 0 || push.commits.length > API_MAX_COMMITS) return "git";
  if (push.commits.some((c) => (c.files ?? 0) >= API_MAX_FILES)) return "git";
  return "api";
}

/** Raised when the API leaves out part of a commit (a binary or very large file): read it with git instead. */
export class IncompleteDiffError extends Error {}

/**
 * Scans each new commit of a push on its own (not the push's net diff): a key added in one commit
 * and removed in the next is still in the history.
 */
export async function scanPushViaApi(octokit: Octokit, repo: RepoRef, push: PushPayload): Promise<CommitFinding[]> {
  if (push.deleted) return [];
  const out: CommitFinding[] = [];
  for (const commit of push.commits.filter((c) => c.distinct !== false)) {
    for (const file of await commitFiles(octokit, repo, commit.id)) {
      if (file.status === "removed") continue;
      if (!file.patch) {
        if (file.changes === 0 && file.status === "renamed") continue;
        throw new IncompleteDiffError(`${commit.id.slice(0, 7)}:${file.filename} has no patch in the API`);
      }
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
  changes?: number;
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
