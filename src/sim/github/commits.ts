/** Commit / compare / diff-entry objects computed from the real bare repo. */
import { commitInfo, diffFiles, type CommitInfo, type DiffFile } from "./git.js";
import { nodeId, simpleUser, type Urls } from "./shapes.js";
import type { SimRepo, SimState } from "./state.js";

export function userByEmail(state: SimState, email: string) {
  for (const u of state.users.values()) if (u.email && u.email.toLowerCase() === email.toLowerCase()) return u;
  return undefined;
}

const enc = (p: string) => p.split("/").map(encodeURIComponent).join("/");

export function diffEntry(u: Urls, repo: SimRepo, commitSha: string, f: DiffFile): Record<string, unknown> {
  const web = `${u.web}/${repo.owner}/${repo.name}`;
  const e: Record<string, unknown> = {
    sha: f.status === "removed" ? f.oldSha : f.newSha,
    filename: f.filename,
    status: f.status,
    additions: f.additions,
    deletions: f.deletions,
    changes: f.changes,
    blob_url: `${web}/blob/${commitSha}/${enc(f.filename)}`,
    raw_url: `${web}/raw/${commitSha}/${enc(f.filename)}`,
    contents_url: `${u.api}/repos/${repo.owner}/${repo.name}/contents/${enc(f.filename)}?ref=${commitSha}`,
  };
  if (f.patch !== undefined) e.patch = f.patch;
  if (f.previous_filename !== undefined) e.previous_filename = f.previous_filename;
  return e;
}

export function commitObject(u: Urls, repo: SimRepo, c: CommitInfo, state: SimState): Record<string, unknown> {
  const api = `${u.api}/repos/${repo.owner}/${repo.name}`;
  const web = `${u.web}/${repo.owner}/${repo.name}`;
  const au = userByEmail(state, c.author.email);
  const cu = userByEmail(state, c.committer.email);
  return {
    sha: c.sha,
    node_id: nodeId("C", parseInt(c.sha.slice(0, 8), 16)),
    commit: {
      author: c.author,
      committer: c.committer,
      message: c.message,
      tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` },
      url: `${api}/git/commits/${c.sha}`,
      comment_count: 0,
      verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
    },
    url: `${api}/commits/${c.sha}`,
    html_url: `${web}/commit/${c.sha}`,
    comments_url: `${api}/commits/${c.sha}/comments`,
    author: au ? simpleUser(u, au) : null,
    committer: cu ? simpleUser(u, cu) : null,
    parents: c.parents.map((p) => ({ sha: p, url: `${api}/commits/${p}`, html_url: `${web}/commit/${p}` })),
  };
}

/** Full single-commit response: commit object + stats + files (first parent diff). */
export async function fullCommit(u: Urls, repo: SimRepo, sha: string, state: SimState): Promise<{ obj: Record<string, unknown>; files: DiffFile[] }> {
  const c = await commitInfo(repo.dir, sha);
  const files = await diffFiles(repo.dir, c.parents[0], c.sha);
  const additions = files.reduce((a, f) => a + f.additions, 0);
  const deletions = files.reduce((a, f) => a + f.deletions, 0);
  return { obj: { ...commitObject(u, repo, c, state), stats: { total: additions + deletions, additions, deletions } }, files };
}
