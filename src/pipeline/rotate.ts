import { NotYet } from "../jobs/not-yet.js";
import { randomUUID } from "node:crypto";
import { redactKeyId } from "../detect/index.js";
import { errorName } from "../aws/gateway.js";
import { rotationDoneComment } from "../github/issue-text.js";
import { isInstallationSuspended } from "../github/errors.js";
import { code } from "../github/markdown.js";
import { actionsPublicKey, putActionsSecret } from "../github/secrets.js";
import { fullName, type Octokit, type RepoRef } from "../github/types.js";
import { loadRepoSettings, type DestinationSetting } from "../config/repo.js";
import type { Deps } from "./context.js";
import type { KeyRow, RotationRow } from "../store/index.js";
import { metrics } from "../metrics/index.js";
import { updateKeyIssue, type IssueUpdate } from "./issue-update.js";
import { openAndRecord, type RepoInfo } from "./leak.js";
import { currentRepo } from "./repos.js";

export interface RotateJob {
  installationId: number;
  owner: string;
  repo: string;
  issueNumber: number;
  keyId: string;
  requestedBy: string;
  /** GitHub's repository ID (a rename or transfer since the request is followed). */
  repoId?: number;
}

export function describeDestination(repo: RepoRef, d: DestinationSetting, accountId?: string): string {
  if ("secretsmanager" in d) {
    return `AWS Secrets Manager secret ${d.secretsmanager.secret_id}${accountId ? ` in account ${accountId}` : ""}${d.secretsmanager.region ? ` (${d.secretsmanager.region})` : ""}`;
  }
  const where = d.actions.environment ? `environment ${d.actions.environment} of ${fullName(repo)}` : fullName(repo);
  return `GitHub Actions secrets ${d.actions.id} and ${d.actions.secret} of ${where}`;
}

/** A failure that asking again will not fix: reported on the issue, the rotation left re-askable. */
class RotationRefused extends Error {}

/** Another run of the same rotation holds it: this job is retried later, the rotation left as it is. */
class HeldElsewhere extends NotYet {}

/**
 * The rotation as a persisted state machine: each step is recorded before the next begins, so a
 * process killed anywhere resumes from the store. The new secret lives only in this function's
 * memory until it is written to its destinations; if the process dies before that, the orphan key
 * is found and deleted on resume and a fresh one created.
 */
export async function runRotation(deps: Deps, job: RotateJob): Promise<void> {
  const { store } = deps;
  const moved = await currentRepo(deps, job.installationId, { owner: job.owner, repo: job.repo, id: job.repoId });
  const repo: RepoRef = { owner: moved.owner, repo: moved.repo };
  const octokit = await deps.github(job.installationId);
  const asked = await store.rotation(job.keyId);
  if (!asked || asked.step === "done" || asked.step === "failed") return;
  const holder = randomUUID();
  const lease = deps.settings.jobTimeoutMs ?? 15 * 60_000;
  const hold = async () => {
    if (!(await store.lockRotation(job.keyId, holder, lease))) throw new HeldElsewhere("the rotation is held by another worker; retrying");
  };
  // A worker that died holding the rotation lets go when its lease lapses: wait for that, once.
  for (const until = Date.now() + lease + 1000; !(await store.lockRotation(job.keyId, holder, lease)); ) {
    if (Date.now() > until) throw new HeldElsewhere("the rotation is held by another worker; retrying");
    await new Promise((r) => setTimeout(r, 250));
  }
  // Held while this process lives, however long a step takes; it lapses only if the process dies.
  const heartbeat = setInterval(() => void store.lockRotation(job.keyId, holder, lease).catch(() => undefined), Math.max(250, lease / 3));
  try {
    // Read under the lock: another run may have moved the rotation on while this one waited.
    const key = await store.key(job.keyId);
    const rot = await store.rotation(job.keyId);
    if (!key || !rot || rot.step === "done" || rot.step === "failed") return;
    await rotateHeld(deps, job, octokit, repo, key, rot, hold);
  } finally {
    clearInterval(heartbeat);
    await store.unlockRotation(job.keyId, holder);
  }
}

async function rotateHeld(
  deps: Deps,
  job: RotateJob,
  octokit: Octokit,
  repo: RepoRef,
  key: KeyRow,
  rot: RotationRow,
  hold: () => Promise<void>,
): Promise<void> {
  const { store, aws } = deps;
  const account = key.account_id;
  const user = key.user_name;
  const log = async (what: string) => {
    deps.log.info({ key: redactKeyId(job.keyId), repo: fullName(repo), step: what }, "rotation step");
    await store.logAction({ keyId: job.keyId, repo: fullName(repo), action: "rotation", detail: what, actor: job.requestedBy });
  };

  let newSecret: string | undefined;
  let step = rot.step;
  let newKeyId = rot.new_key_id;
  const { settings } = await loadRepoSettings(octokit, repo);
  const destinations = settings.rotate.destinations;
  const describe = (d: DestinationSetting) => describeDestination(repo, d, account ?? undefined);
  const notes: string[] = [];
  // What the rotation has to say goes to the key's issue, even locked or deleted (issue-update.ts).
  const tellIssue = async (update: IssueUpdate) => {
    const recorded = await store.issueFor(fullName(repo), job.keyId);
    const number = recorded && recorded.number > 0 ? recorded.number : job.issueNumber;
    const reopen = async () => {
      const { data } = await octokit.request("GET /repos/{owner}/{repo}", { owner: repo.owner, repo: repo.repo });
      const info: RepoInfo = { ...repo, id: Number(data.id), htmlUrl: data.html_url, cloneUrl: data.clone_url, private: data.private };
      return openAndRecord(deps, octokit, info, job.keyId, { labels: settings.labels, assignees: async () => [] });
    };
    return updateKeyIssue(deps, octokit, { ...repo, htmlUrl: "" }, job.keyId, number, update, reopen);
  };

  try {
    if (!account || !user) throw new RotationRefused("the key's owner is unknown, or keyfence may not act in its account");
    while (step !== "done") {
      await hold();
      switch (step) {
        case "requested": {
          // The store may be stale: what counts is the key's state in AWS now.
          const keys = await aws.listKeys(account, user);
          const leaked = keys.find((k) => k.keyId === job.keyId);
          if (!leaked) await log("the leaked key was already deleted in AWS");
          else if (leaked.status === "Active") await log("the leaked key is Active again in AWS");
          if (await aws.isQuarantined(account, user)) {
            notes.push("AWS has attached its compromised-key quarantine policy to this user: the user's own permissions are restricted until someone detaches it. keyfence's role is not affected.");
            await log("AWS's compromised-key quarantine policy is attached to the user");
          }
          if (keys.length >= 2 && leaked) {
            // No room for a new key: the leaked one goes first, it is compromised anyway.
            await aws.deleteKey(account, user, job.keyId);
            await log("deleted the leaked key first, the user already had two keys");
          }
          const before = (await aws.listKeys(account, user)).map((k) => k.keyId);
          await store.setRotation(job.keyId, { step: "creating", keys_before: JSON.stringify(before) });
          step = "creating";
          break;
        }
        case "creating": {
          const before: string[] = JSON.parse((await store.rotation(job.keyId))?.keys_before ?? "[]");
          for (const k of await aws.listKeys(account, user)) {
            if (k.keyId !== job.keyId && !before.includes(k.keyId)) {
              await aws.deleteKey(account, user, k.keyId);
              await log(`deleted ${redactKeyId(k.keyId)}, created by an interrupted attempt and never delivered`);
            }
          }
          // A destination that cannot be written is found before a key exists, not after.
          for (const d of destinations) await checkDestination(deps, octokit, repo, account, d);
          const created = await aws.createKey(account, user);
          newSecret = created.secret;
          newKeyId = created.keyId;
          await store.setRotation(job.keyId, { step: "created", new_key_id: newKeyId });
          await log(`created ${redactKeyId(newKeyId)} (iam:CreateAccessKey)`);
          step = "created";
          break;
        }
        case "created": {
          if (!newSecret) {
            // Resumed after a crash: the secret of the key created then is gone with that process.
            await deleteIfPresent(deps, account, user, newKeyId!);
            await log(`deleted ${redactKeyId(newKeyId!)}, its secret was lost before delivery`);
            await store.setRotation(job.keyId, { step: "creating", new_key_id: null });
            step = "creating";
            break;
          }
          try {
            for (const d of destinations) await deliver(deps, octokit, repo, account, d, newKeyId!, newSecret);
            if (!(await aws.keyWorks(newKeyId!, newSecret))) throw new RotationRefused("the new key did not authenticate in time");
          } catch (err) {
            await deleteIfPresent(deps, account, user, newKeyId!);
            await store.setRotation(job.keyId, { step: "creating", new_key_id: null });
            throw err;
          }
          newSecret = undefined;
          await log(`wrote ${redactKeyId(newKeyId!)} to ${destinations.map(describe).join("; ")}, and it authenticates`);
          await store.setRotation(job.keyId, { step: "verified" });
          step = "verified";
          break;
        }
        case "verified": {
          const key = await store.key(job.keyId);
          const use = await aws.lastUsed(account, job.keyId).catch(() => undefined);
          if (use?.date && key?.contained_at && use.date > new Date(key.contained_at)) {
            notes.push(
              `The leaked key was used after keyfence deactivated it (last at ${use.date.toISOString()}${use.serviceName ? `, ${use.serviceName}` : ""}): something still depends on it, or someone is trying it. Check CloudTrail.`,
            );
          }
          await deleteIfPresent(deps, account, user, job.keyId);
          await log(`deleted the leaked key ${redactKeyId(job.keyId)} (iam:DeleteAccessKey)`);
          await store.setRotation(job.keyId, { step: "deleted" });
          step = "deleted";
          break;
        }
        case "deleted": {
          const steps = (await store.actionsOf(job.keyId)).filter((a) => a.action === "rotation");
          const text = rotationDoneComment({
            oldRedacted: redactKeyId(job.keyId),
            newRedacted: redactKeyId(newKeyId!),
            destinations: destinations.map(describe),
            steps: steps.map((s) => ({ what: s.detail ?? "", at: new Date(s.at) })),
            notes,
          });
          await tellIssue({ text, carry: true, close: "completed" });
          await store.updateKey(job.keyId, { state: "rotated" });
          await store.setRotation(job.keyId, { step: "done" });
          metrics.rotations.inc({ outcome: "done" });
          deps.log.info({ key: redactKeyId(job.keyId), repo: fullName(repo), issue: job.issueNumber }, "rotation finished");
          step = "done";
          break;
        }
        default:
          throw new Error(`unknown rotation step '${step}'`);
      }
    }
  } catch (err) {
    // A suspended installation: the job is parked as it is and the rotation resumes once unsuspended.
    if (err instanceof HeldElsewhere || isInstallationSuspended(err)) throw err;
    if (err instanceof RotationRefused || !isRetryable(err)) {
      const why = err instanceof Error ? err.message : String(err);
      await store.setRotation(job.keyId, { step: "failed", error: why });
      metrics.rotations.inc({ outcome: "failed" });
      await log(`failed: ${why}`);
      await tellIssue({ text: `Rotation of ${code(redactKeyId(job.keyId))} stopped: ${code(why)}. Nothing secret was exposed. Fix the cause and comment \`/rotate\` again.`, carry: true });
      return;
    }
    throw err;
  }
}

async function deliver(
  deps: Deps,
  octokit: Octokit,
  repo: RepoRef,
  accountId: string,
  d: DestinationSetting,
  keyId: string,
  secret: string,
): Promise<void> {
  if ("secretsmanager" in d) {
    const value = JSON.stringify({ AWS_ACCESS_KEY_ID: keyId, AWS_SECRET_ACCESS_KEY: secret });
    await deps.aws.putSecretValue(accountId, d.secretsmanager.secret_id, value, d.secretsmanager.region);
    return;
  }
  await putActionsSecret(octokit, repo, d.actions.id, keyId, d.actions.environment);
  await putActionsSecret(octokit, repo, d.actions.secret, secret, d.actions.environment);
}

async function checkDestination(deps: Deps, octokit: Octokit, repo: RepoRef, accountId: string, d: DestinationSetting): Promise<void> {
  if ("secretsmanager" in d) {
    await deps.aws.describeSecret(accountId, d.secretsmanager.secret_id, d.secretsmanager.region);
    return;
  }
  await actionsPublicKey(octokit, repo, d.actions.environment);
}

async function deleteIfPresent(deps: Deps, account: string, user: string, keyId: string): Promise<void> {
  try {
    await deps.aws.deleteKey(account, user, keyId);
  } catch (err) {
    if (errorName(err) !== "NoSuchEntity" && errorName(err) !== "NoSuchEntityException") throw err;
  }
}

/** Throttling, 5xx and network failures are retried by the job queue; the rest is reported. */
export function isRetryable(err: unknown): boolean {
  const e = err as { status?: number; $retryable?: unknown; $metadata?: { httpStatusCode?: number }; code?: string; name?: string };
  const name = errorName(err);
  if (name === "LimitExceeded" || name === "LimitExceededException") return false;
  if (e.$retryable) return true;
  if (["Throttling", "ThrottlingException", "ServiceFailure", "RequestLimitExceeded"].includes(name)) return true;
  const status = e.status ?? e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  return ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT"].includes(e.code ?? "") || e.name === "TimeoutError";
}
