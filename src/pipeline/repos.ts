import { fullName, type Octokit, type RepoRef } from "../github/types.js";
import { knownRepoName, noteRepoName, otherIdsOfName, renameRepoRecords } from "../store/repos.js";
import type { Deps } from "./context.js";

/**
 * A repository renamed or transferred keeps its ID. keyfence keeps its records by full name
 * (findings, the key's issue, scanned heads, backfill progress), so the name each ID was last seen
 * under is noted; when a job names the repository otherwise, GitHub is asked which name is current
 * (the old one answers with a redirect, which Octokit follows), the records are moved to it, and
 * the job goes on under it. A job queued before the rename (a redelivered webhook, a backfill
 * planned earlier) is brought to the new name the same way.
 */
type Repo = RepoRef & { id?: number; htmlUrl?: string; cloneUrl?: string; private?: boolean };

export async function currentRepo<T extends Repo>(deps: Deps, installationId: number, repo: T): Promise<T> {
  const id = repo.id;
  if (!id) return repo;
  const name = fullName(repo);
  const known = await knownRepoName(deps.store, id);
  if (known === name) return repo;
  if (known === undefined) {
    // First sight of this ID. A name another ID was seen under was left behind by a rename: that
    // repository's records move to where it is now before this one's are kept under the name.
    const others = await otherIdsOfName(deps.store, name, id);
    if (others.length > 0) {
      const octokit = await deps.github(installationId);
      for (const other of others) await follow(deps, octokit, other, name);
    }
    await noteRepoName(deps.store, id, name);
    return repo;
  }
  const octokit = await deps.github(installationId);
  const now = (await byName(octokit, repo, id)) ?? (await byId(octokit, id));
  if (!now) return repo; // GitHub cannot tell (no access any more): leave the records as they are
  const current = { ...repo, owner: now.owner.login, repo: now.name };
  if ("htmlUrl" in repo) current.htmlUrl = now.html_url;
  if ("cloneUrl" in repo && now.clone_url) current.cloneUrl = now.clone_url;
  const to = fullName(current);
  for (const from of new Set([known, name])) {
    if (from === to) continue;
    await renameRepoRecords(deps.store, from, to);
    await deps.store.logAction({ repo: to, action: "repository-moved", detail: `keyfence's records of ${from} now follow it to ${to} (same repository ID ${id})` });
  }
  await noteRepoName(deps.store, id, to);
  if (known !== to) deps.log.info({ repo: to, was: known, id }, "repository renamed or transferred: keyfence's records follow it");
  return current;
}

interface ApiRepo {
  id: number;
  name: string;
  owner: { login: string };
  html_url: string;
  clone_url?: string;
}

/** `GET /repos/{owner}/{repo}`: an old name answers 301 to the repository where it is now. */
async function byName(octokit: Octokit, repo: RepoRef, id: number): Promise<ApiRepo | undefined> {
  try {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}", { owner: repo.owner, repo: repo.repo });
    return Number(data.id) === id ? (data as ApiRepo) : undefined;
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined;
    throw err;
  }
}

/** `GET /repositories/{id}`: where GitHub's redirects point. */
async function byId(octokit: Octokit, id: number): Promise<ApiRepo | undefined> {
  try {
    const { data } = await octokit.request("GET /repositories/{repository_id}", { repository_id: id });
    return data as ApiRepo;
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined;
    throw err;
  }
}

/** Moves the records of a repository known under `name` to its current name, if GitHub knows it. */
async function follow(deps: Deps, octokit: Octokit, id: number, name: string): Promise<void> {
  const now = await byId(octokit, id);
  const to = now ? `${now.owner.login}/${now.name}` : `#deleted-repository-${id}/${name}`;
  if (to === name) return;
  await renameRepoRecords(deps.store, name, to);
  await noteRepoName(deps.store, id, to);
  deps.log.info({ repo: name, now: to, id }, "a repository's old name is taken by another: the first one's records follow it");
}
