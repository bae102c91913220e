import type { Octokit } from "./types.js";

let cached: { login: string; at: number } | undefined;

/** The login of the account that registered the keyfence GitHub App (`GET /app`), cached for an hour. */
export async function appOwner(app: Octokit): Promise<string> {
  if (cached && Date.now() - cached.at < 3_600_000) return cached.login;
  const { data } = await app.request("GET /app");
  const login = data?.owner && "login" in data.owner ? data.owner.login : undefined;
  if (!login) throw new Error("GET /app returned no owner login");
  cached = { login, at: Date.now() };
  return login;
}
