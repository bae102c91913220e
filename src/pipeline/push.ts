import { readOnlyRepoToken } from "../github/tokens.js";
import { forgetRepoSettings, loadRepoSettings, isIgnored } from "../config/repo.js";
import { reportCheck } from "../github/checks.js";
import { atLeast, roleOf } from "../github/permission.js";
import type { Octokit } from "../github/types.js";
import { chooseSource, IncompleteDiffError, scanPushViaApi, type PushPayload } from "../sources/push.js";
import { scanPushViaGit } from "../sources/push-git.js";
import type { Deps } from "./context.js";
import { handleFindings, lookupOwner, type RepoInfo } from "./leak.js";

export interface PushJob {
  installationId: number;
  repo: RepoInfo;
  push: PushPayload;
}

/** The job queued for every push webhook: scan each new commit, act on what was found, report. */
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
  if (findings.length > 0) {
    const pusher = job.push.sender?.login;
    // Asked only once an issue is to be opened: containment waits for nothing it does not need.
    const assignees = async () => (settings.assign_pusher && pusher && (await isCollaborator(octokit, job.repo, pusher)) ? [pusher] : []);
    await handleFindings(deps, octokit, job.repo, findings, { contain: settings.mode === "contain", labels: settings.labels, assignees });
  }
  await reportCheck(
    octokit,
    job.repo,
    job.push.after,
    findings.map((f) => ({ path: f.path, line: f.line, redacted: f.redacted, kind: f.kind })),
    problems,
  );
}

async function isCollaborator(octokit: Octokit, repo: RepoInfo, login: string): Promise<boolean> {
  return atLeast(await roleOf(octokit, repo.owner, repo.repo, login), "read");
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
