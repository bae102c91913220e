import type { Octokit } from "./types.js";

export type Role = "admin" | "maintain" | "write" | "triage" | "read" | "none";
const rank: Record<Role, number> = { none: 0, read: 1, triage: 2, write: 3, maintain: 4, admin: 5 };

/**
 * A user's role on a repository. Decided on `role_name`: the `permission` field is lossy
 * (it reports maintain as write and triage as read).
 */
export async function roleOf(octokit: Octokit, owner: string, repo: string, username: string): Promise<Role> {
  try {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/collaborators/{username}/permission", {
      owner,
      repo,
      username,
    });
    const role = (data as { role_name?: string }).role_name ?? data.permission;
    return role in rank ? (role as Role) : "none";
  } catch (err) {
    if ((err as { status?: number }).status === 404) return "none";
    throw err;
  }
}

export function atLeast(role: Role, required: Role): boolean {
  return rank[role] >= rank[required];
}
