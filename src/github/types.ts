import type { ProbotOctokit } from "probot";

export type Octokit = InstanceType<typeof ProbotOctokit>;

export interface RepoRef {
  owner: string;
  repo: string;
}

export const fullName = (r: RepoRef) => `${r.owner}/${r.repo}`;
