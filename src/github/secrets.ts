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
  const base = environment
    ? `/repos/${repo.owner}/${repo.repo}/environments/${encodeURIComponent(environment)}/secrets`
    : `/repos/${repo.owner}/${repo.repo}/actions/secrets`;
  const { data: key } = await octokit.request(`GET ${base}/public-key`);
  const sealed = sodium.crypto_box_seal(sodium.from_string(value), sodium.from_base64(key.key, sodium.base64_variants.ORIGINAL));
  await octokit.request(`PUT ${base}/{name}`, {
    name,
    encrypted_value: sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL),
    key_id: key.key_id,
  });
}
