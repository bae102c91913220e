import type { Octokit, RepoRef } from "../github/types.js";

/**
 * Who may receive a new key (see README, "Security model"). Containment is always safe: a key
 * pushed where others can read it is compromised, whoever pushed it. Rotation is not: it creates a
 * credential in an AWS account and writes it into the repository's secrets. So keyfence rotates
 * only into a repository that
 *
 * - is not a fork (a fork's owner is not the key's owner, and a fork's secrets are the fork owner's);
 * - belongs to an owner allowed for the key's AWS account. KEYFENCE_ROTATE_OWNERS maps accounts to
 *   owners: `444455556666=acme|acme-infra,*=acme` (account=owner|owner…, `*` for any account).
 *   Without it, the only owner allowed is the account that registered the GitHub App: the
 *   security team that runs keyfence. Anyone else who installs the app (a public app can be
 *   installed by anyone) gets containment and issues, never a new key.
 */
export function rotateOwners(env: NodeJS.ProcessEnv = process.env): Map<string, Set<string>> | undefined {
  const raw = env.KEYFENCE_ROTATE_OWNERS?.trim();
  if (!raw) return undefined;
  const map = new Map<string, Set<string>>();
  for (const entry of raw.split(",").map((e) => e.trim()).filter(Boolean)) {
    const [account, owners] = entry.split("=");
    if (!account || !owners || !(account === "*" || /^\d{12}$/.test(account))) {
      throw new Error(`invalid keyfence settings:\n  KEYFENCE_ROTATE_OWNERS: '${entry}' must be ACCOUNT=owner|owner (ACCOUNT a 12-digit ID or *)`);
    }
    const set = map.get(account) ?? new Set<string>();
    for (const o of owners.split("|")) if (o.trim()) set.add(o.trim().toLowerCase());
    map.set(account, set);
  }
  return map;
}

/** Why keyfence must not rotate this account's key into this repository, or undefined when it may. */
export async function rotationRefusal(
  octokit: Octokit,
  repo: RepoRef,
  accountId: string,
  appOwner: () => Promise<string>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const { data } = await octokit.request("GET /repos/{owner}/{repo}", { ...repo });
  if (data.fork) return "this repository is a fork: keyfence never writes a new key into a fork";
  const owners = rotateOwners(env);
  const login = data.owner.login.toLowerCase();
  if (!owners) {
    const own = await appOwner();
    if (login === own.toLowerCase()) return undefined;
    return `keyfence writes new keys only into repositories of ${own}, the account that runs this keyfence app, unless KEYFENCE_ROTATE_OWNERS maps AWS account ${accountId} to ${data.owner.login}`;
  }
  const allowed = new Set([...(owners.get(accountId) ?? []), ...(owners.get("*") ?? [])]);
  if (!allowed.has(login)) {
    return `AWS account ${accountId} is not mapped to ${data.owner.login} (KEYFENCE_ROTATE_OWNERS): keyfence writes new keys only into repositories of that account's owners`;
  }
  return undefined;
}
