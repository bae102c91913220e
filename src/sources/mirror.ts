// Bare, blob-complete mirrors for the backfill: every ref — branches, tags, pull-request refs
// (`refs/pull/N/head`, which GitHub keeps after the branch is deleted) — fetched with simple-git.
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { simpleGit } from "simple-git";
import type { RepoRef } from "../github/types.js";

export interface MirrorAccess {
  /** The clone URL, without credentials. */
  cloneUrl: string;
  /** Installation token (or empty for a public or local URL): sent as a header, never stored. */
  token?: string;
  /** Where this repository's mirror lives. */
  dir: string;
}

export function backfillMirrorPath(mirrorsDir: string, repo: RepoRef): string {
  return join(mirrorsDir, "backfill", repo.owner, `${repo.repo}.git`);
}

/**
 * Creates or brings up to date a bare mirror of every ref. A mirror left by an interrupted run
 * is fetched into again, so only what it lacks travels.
 */
export async function mirrorRepo(access: MirrorAccess): Promise<string> {
  const { dir } = access;
  if (!existsSync(join(dir, "HEAD"))) {
    await mkdir(dir, { recursive: true });
    await simpleGit({ baseDir: dir }).raw(["init", "--bare", "--quiet"]);
  }
  const config = ["credential.helper=", "gc.auto=0"];
  if (access.token) {
    const auth = Buffer.from(`x-access-token:${access.token}`).toString("base64");
    config.push(`http.extraHeader=Authorization: Basic ${auth}`);
  }
  // credential.helper is emptied on purpose: no helper of the host may store or supply credentials.
  const git = simpleGit({ baseDir: dir, config, timeout: { block: 10 * 60_000 }, unsafe: { allowUnsafeCredentialHelper: true } as never }).env(gitEnv());
  await git.raw(["fetch", "--quiet", "--prune", "--force", "--no-tags", "--no-write-fetch-head", access.cloneUrl, "+refs/*:refs/*"]);
  return dir;
}

/** Only what git needs from the environment: no editor, pager or askpass of the host. */
function gitEnv(): Record<string, string> {
  const keep = /^(PATH|HOME|TMPDIR|LANG|LC_ALL|SSL_CERT_FILE|SSL_CERT_DIR|GIT_SSL_CAINFO|GIT_CONFIG_NOSYSTEM|GIT_CONFIG_GLOBAL|HTTPS?_PROXY|NO_PROXY|https?_proxy|no_proxy)$/;
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: "0" };
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && keep.test(k)) env[k] = v;
  return env;
}

export async function removeMirror(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
