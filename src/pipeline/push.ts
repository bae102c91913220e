import { readOnlyRepoToken } from "../github/tokens.js";
import { forgetRepoSettings, loadRepoSettings, isIgnored } from "../config/repo.js";
import { fullName, type Octokit } from "../github/types.js";
import { chooseSource, IncompleteDiffError, scanPushViaApi, type PushPayload } from "../sources/push.js";
import { scanPushViaGit } from "../sources/push-git.js";
import type { Deps } from "./context.js";
import { lookupOwner, recordAndContain, type RepoInfo } from "./leak.js";
import { queueReport } from "./report.js";

export interface PushJob {
  installationId: number;
  repo: RepoInfo;
  push: PushPayload;
}

/**
 * The job queued for every push webhook: scan each new commit, record and contain what was found,
 * then queue the report (issues, check run). It makes no GitHub write: those are paced, and the
 * next pushes' containment must not wait for them.
 */
export async function scanPush(deps: Deps, job: PushJob): Promise<void> {
  if (job.push.deleted) return;
  const octokit = await deps.github(job.installationId);
  if (job.push.created || job.push.forced || job.push.commits.some((c) => c.settings)) forgetRepoSettings(job.repo);
  // The settings are read while the push is, and the owners of the keys found are looked up while
  // the settings may still be on their way: containment waits for nothing longer than it must.
  const settingsRead = loadRepoSettings(octokit, job.repo);
  settingsRead.catch(() => undefined); // awaited below; this only keeps a failure of readPush from leaving it unhandled
  const all = await readPush(deps, octokit, job);
  for (const f of all) if (f.kind !== "example") void lookupOwner(deps, f.keyId, f.kind).catch(() => undefined);
  const { settings, problems } = await settingsRead;
  const findings = all.filter((f) => !isIgnored(settings, f.path));
  const keys = findings.length > 0 ? await recordAndContain(deps, job.repo, findings, { contain: settings.mode === "contain" }) : [];
  const { ref, before, after } = job.push;
  await queueReport(deps, {
    id: `push:${job.repo.id ?? fullName(job.repo)}:${ref}:${before}..${after}`,
    installationId: job.installationId,
    repo: job.repo,
    headSha: after,
    findings,
    problems,
    keys,
    settings,
    pusher: job.push.sender?.login,
  });
}

async function readPush(deps: Deps, octokit: Octokit, job: PushJob) {
  const viaGit = async () => {
    const token = await readOnlyRepoToken(await deps.githubApp(), job.installationId, job.repo.repo);
    const cloneUrl = job.repo.cloneUrl ?? `${job.repo.htmlUrl}.git`;
    return scanPushViaGit(job.repo, job.push, { cloneUrl, token, mirrorsDir: deps.settings.mirrorsDir });
  };
  const source = chooseSource(job.push);
  deps.log.debug({ repo: `${job.repo.owner}/${job.repo.repo}`, source, commits: job.push.commits.length }, "reading push");
  if (source === "git") return viaGit();
  try {
    return await scanPushViaApi(octokit, job.repo, job.push);
  } catch (err) {
    if (!(err instanceof IncompleteDiffError)) throw err;
    deps.log.info({ repo: `${job.repo.owner}/${job.repo.repo}`, why: err.message }, "push read with git: the API left part of it out");
    return viaGit();
  }
}
