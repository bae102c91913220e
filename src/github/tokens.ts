import type { Octokit } from "./types.js";

/**
 * A short-lived installation token that can only read one repository: all git needs to fetch it.
 * `app` is the Octokit authenticated as the app itself.
 */
export async function readOnlyRepoToken(app: Octokit, installationId: number, repo: string): Promise<string> {
  const { data } = await app.request("POST /app/installations/{installation_id}/access_tokens", {
    installation_id: installationId,
    repositories: [repo],
    permissions: { contents: "read" },
  });
  return data.token;
}
