import sodium from "libsodium-wrappers";
import type { Octokit, RepoRef } from "./types.js";

/**
 * Writes a GitHub Actions secret (of the repository, or of one of its environments), sealed
 * with the repository's public key as GitHub requires: the value leaves keyfence encrypted.
 */
export async function putActionsSecret(
  octokit: Octokit,
  repo: RepoRef,
  name: string,
  value: string,
  environment?: string,
): Promise<void> {
  await sodium.ready;
  const key = await actionsPublicKey(octokit, repo, environment);
  const sealed = sodium.crypto_box_seal(sodium.from_string(value), sodium.from_base64(key.key, sodium.base64_variants.ORIGINAL));
  await octokit.request(`PUT ${secretsPath(repo, environment)}/{name}`, {
    name,
    encrypted_value: sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL),
    key_id: key.key_id,
  });
}

function secretsPath(repo: RepoRef, environment?: string): string {
  return environment
    ? `/repos/${repo.owner}/${repo.repo}/environments/${encodeURIComponent(environment)}/secrets`
    : `/repos/${repo.owner}/${repo.repo}/actions/secrets`;
}

/** The key GitHub wants secrets sealed with; fetching it also proves the destination exists and is writable by the app. */
export async function actionsPublicKey(octokit: Octokit, repo: RepoRef, environment?: string): Promise<{ key_id: string; key: string }> {
  const { data } = await octokit.request(`GET ${secretsPath(repo, environment)}/public-key`);
  return data as { key_id: string; key: string };
}
