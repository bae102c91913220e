import type { RepoSettings } from "../config/repo.js";
import { reportCheck, type CheckFinding } from "../github/checks.js";
import { atLeast, roleOf } from "../github/permission.js";
import { fullName, type Octokit } from "../github/types.js";
import type { CommitFinding } from "../sources/push.js";
import type { Deps } from "./context.js";
import { tellKey, type FoundKey, type RepoInfo } from "./leak.js";
import { currentRepo } from "./repos.js";

/**
 * What GitHub shows of a scanned push once its keys are contained: one issue per key (opened, or
 * the new places added to it), then the check run on the pushed head. It is a job of its own
 * because GitHub spaces an installation's writes about a second apart: a push job that waited for
 * them would keep the next pushes' keys active behind it (the queue's lanes, src/jobs/lanes.ts,
 * take push jobs first and give reports at most half the workers).
 */
export interface ReportJob {
  /** Names the scan (`push:…`, `sweep:…`): the job's dedupe key, and how a retry knows which keys it has told. */
  id: string;
  installationId: number;
  repo: RepoInfo;
  /** The commit the check run is for. */
  headSha: string;
  /** Every place found, key IDs redacted: the check run's annotations. */
  findings: CheckFinding[];
  /** What is wrong with the repository's `.github/keyfence.yml`. */
  problems: string[];
  keys: FoundKey[];
  labels: string[];
  /** Assigned the new issues if a collaborator (`assign_pusher`). */
  assignee?: string;
}

export const REPORT_JOB = "report";

/**
 * Queues the report of a scan whose keys are contained. Queued once per scan, however often the
 * scan's job runs: a job that dies after this is run again and queues nothing new, one that dies
 * before it queues it on its retry.
 */
export async function queueReport(
  deps: Deps,
  scan: { id: string; installationId: number; repo: RepoInfo; headSha: string; findings: CommitFinding[]; problems: string[]; keys: FoundKey[]; settings: RepoSettings; pusher?: string },
): Promise<void> {
  const job: ReportJob = {
    id: scan.id,
    installationId: scan.installationId,
    repo: scan.repo,
    headSha: scan.headSha,
    // Only what the check run shows: never a secret in the job's payload.
    findings: scan.findings.map((f) => ({ path: f.path, line: f.line, redacted: f.redacted, kind: f.kind })),
    problems: scan.problems,
    keys: scan.keys,
    labels: scan.settings.labels,
    assignee: scan.settings.assign_pusher ? scan.pusher : undefined,
  };
  await deps.queue.enqueue(REPORT_JOB, job, { dedupeKey: `report:${scan.id}` });
}

/** The `report` job. Each key told is noted, so a retry (the check run failed, say) does not tell it twice. */
export async function sendReport(deps: Deps, queued: ReportJob): Promise<void> {
  const job: ReportJob = { ...queued, repo: await currentRepo(deps, queued.installationId, queued.repo) };
  const octokit = await deps.github(job.installationId);
  const name = fullName(job.repo);
  const assignees = async () => (job.assignee && (await isCollaborator(octokit, job.repo, job.assignee)) ? [job.assignee] : []);
  for (const key of job.keys) {
    if (await told(deps, name, key.keyId, job.id)) continue;
    await tellKey(deps, octokit, job.repo, key, { labels: job.labels, assignees, reportId: job.id });
    await deps.store.logAction({ keyId: key.keyId, repo: name, action: "reported", detail: job.id });
  }
  await reportCheck(octokit, job.repo, job.headSha, job.findings, job.problems);
}

async function told(deps: Deps, repo: string, keyId: string, reportId: string): Promise<boolean> {
  return (await deps.store.actionsOf(keyId)).some((a) => a.action === "reported" && a.repo === repo && a.detail === reportId);
}

async function isCollaborator(octokit: Octokit, repo: RepoInfo, login: string): Promise<boolean> {
  return atLeast(await roleOf(octokit, repo.owner, repo.repo, login), "read");
}
