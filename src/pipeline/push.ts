import { scanPushViaApi, type PushPayload } from "../sources/push.js";
import { handleFindings, type RepoInfo } from "./leak.js";
import type { Deps } from "./context.js";

export interface PushJob {
  installationId: number;
  repo: RepoInfo;
  push: PushPayload;
}

/** The job queued for every push webhook: scan each new commit, then act on what was found. */
export async function scanPush(deps: Deps, job: PushJob): Promise<void> {
  const octokit = await deps.github(job.installationId);
  const findings = await scanPushViaApi(octokit, job.repo, job.push);
  if (findings.length > 0) await handleFindings(deps, octokit, job.repo, findings);
}
