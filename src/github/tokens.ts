import type { Octokit } from "./types.js";

/**
 * A short-lived installation token that can only read one repository: all git needs to fetch it.
 * `app` is the Octokit authenticated as the app itself. The repository is named by its ID when
 * known (a renamed or transferred repository keeps it), else by its name.
 */
export async function readOnlyRepoToken(app: Octokit, installationId: number, repo: string, repoId?: number): Promise<string> {
  const { data } = await app.request("POST /app/installations/{installation_id}/access_tokens", {
    installation_id: installationId,
    ...(repoId ? { repository_ids: [repoId] } : { repositories: [repo] }),
    permissions: { contents: "read" },
  });
  return data.token;
}
