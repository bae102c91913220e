import { NotYet } from "../jobs/not-yet.js";
import { loadRepoSettings } from "../config/repo.js";
import { redactKeyId } from "../detect/index.js";
import { parseCommand, type Command } from "../github/commands.js";
import { react } from "../github/issues.js";
import { code, plain } from "../github/markdown.js";
import { atLeast, roleOf, type Role } from "../github/permission.js";
import { fullName, type Octokit, type RepoRef } from "../github/types.js";
import type { KeyRow } from "../store/index.js";
import type { Deps } from "./context.js";
import { describeDestination, type RotateJob } from "./rotate.js";
import { rotationRefusal } from "./rotate-policy.js";
import { appOwner } from "../github/app-owner.js";
import { closeKeyIssue, replyOnIssue } from "./issue-update.js";
import { currentRepo } from "./repos.js";

export interface CommentEvent {
  installationId: number;
  repo: RepoRef;
  /** GitHub's repository ID (absent in jobs queued before it was recorded). */
  repoId?: number;
  issueNumber: number;
  commentId: number;
  body: string;
  author: string;
  authorType: string;
}

/** A comment on an issue: if it is a keyfence command, check who asks and act or queue the work. */
export async function handleComment(deps: Deps, octokit: Octokit, event: CommentEvent): Promise<void> {
  const command = parseCommand(event.body);
  if (!command || event.authorType === "Bot") return;
  // A repository renamed or transferred since keyfence opened the issue: its records follow it.
  const moved = await currentRepo(deps, event.installationId, { ...event.repo, id: event.repoId });
  const ev: CommentEvent = { ...event, repo: { owner: moved.owner, repo: moved.repo } };
  const repoName = fullName(ev.repo);
  // On a locked or deleted issue a reply has nowhere to go: it is logged and audited instead.
  const reply = (text: string) => replyOnIssue(deps, octokit, ev.repo, ev.issueNumber, `@${ev.author} ${text}`);
  const audit = (keyId: string | undefined, action: string, detail?: string) =>
    deps.store.logAction({ keyId, repo: repoName, action, detail, actor: ev.author });

  const issue = await deps.store.issueByNumber(repoName, ev.issueNumber);
  if (!issue) {
    // keyfence may have opened it a moment ago and not recorded its number yet: try again shortly.
    if (await deps.store.issueBeingOpened(repoName)) throw new NotYet("an issue of this repository is being recorded; retrying");
    return reply(`\`/${command.name}\` only works on an issue keyfence opened about a leaked key.`);
  }

  const { settings } = await loadRepoSettings(octokit, ev.repo);
  const required: Role = command.name === "reactivate" ? "admin" : settings.rotate.permission;
  const role = await roleOf(octokit, ev.repo.owner, ev.repo.repo, ev.author);
  if (!atLeast(role, required)) {
    await audit(issue.key_id, "refused", `/${command.name}: role ${role}, needs ${required}`);
    await reply(`\`/${command.name}\` needs the ${required === "admin" ? "admin" : "maintain or admin"} role on this repository; yours is ${role}. Nothing was changed.`);
    deps.log.info({ repo: repoName, issue: ev.issueNumber, actor: ev.author, role, command: command.name }, "command refused");
    return;
  }

  const key = await deps.store.key(issue.key_id);
  if (!key) return reply("keyfence has no record of this issue's key. Nothing was changed.");
  switch (command.name) {
    case "rotate":
      return command.dryRun ? dryRun(deps, octokit, ev, key, reply) : rotate(deps, octokit, ev, key, reply, audit);
    case "reactivate":
      return reactivate(deps, key, command, reply, audit);
    case "ignore":
      return ignore(deps, octokit, ev, key, command, reply, audit);
  }
}

type Reply = (text: string) => Promise<void>;
type Audit = (keyId: string | undefined, action: string, detail?: string) => Promise<void>;

function owner(key: KeyRow): { account: string; user: string } | undefined {
  return key.account_id && key.user_name ? { account: key.account_id, user: key.user_name } : undefined;
}

async function dryRun(deps: Deps, octokit: Octokit, ev: CommentEvent, key: KeyRow, reply: Reply): Promise<void> {
  const o = owner(key);
  if (!o) return reply(`keyfence cannot rotate ${code(redactKeyId(key.key_id))}: ${plain(key.note ?? "its owner is unknown")}.`);
  const { settings } = await loadRepoSettings(octokit, ev.repo);
  const keys = await deps.aws.listKeys(o.account, o.user);
  const full = keys.length >= 2 && keys.some((k) => k.keyId === key.key_id);
  await reply(
    [
      `\`/rotate\` would, in AWS account ${code(o.account)} for IAM user ${code(o.user)} (who has ${keys.length} key${keys.length === 1 ? "" : "s"} now):`,
      ...(full ? ["1. delete the leaked key first, since the user already has two keys and it is compromised anyway;"] : []),
      `${full ? 2 : 1}. create a new access key;`,
      `${full ? 3 : 2}. write it to:`,
      ...settings.rotate.destinations.map((d) => `   - ${plain(describeDestination(ev.repo, d, o.account))}`),
      `${full ? 4 : 3}. check that the new key authenticates;`,
      ...(full ? [] : [`4. delete the leaked key ${code(redactKeyId(key.key_id))};`]),
      "5. comment a summary here and close this issue.",
      "",
      "Nothing was changed.",
    ].join("\n"),
  );
}

async function rotate(deps: Deps, octokit: Octokit, ev: CommentEvent, key: KeyRow, reply: Reply, audit: Audit): Promise<void> {
  if (!owner(key)) {
    return reply(`keyfence cannot rotate ${code(redactKeyId(key.key_id))}: ${plain(key.note ?? "its owner is unknown")}.`);
  }
  // Security model (README): a new key is written only where the key's owners are.
  const refusal = await rotationRefusal(octokit, ev.repo, key.account_id!, async () => appOwner(await deps.githubApp()));
  if (refusal) {
    await audit(key.key_id, "refused", `/rotate: ${refusal}`);
    return reply(`keyfence will not rotate ${code(redactKeyId(key.key_id))} here: ${plain(refusal)}. The key stays Inactive; its owners can rotate it from their own repository or in AWS. Nothing was changed.`);
  }
  const started = await deps.store.startRotation({ keyId: key.key_id, repo: fullName(ev.repo), issueNumber: ev.issueNumber, requestedBy: ev.author });
  if (!started) {
    const rot = await deps.store.rotation(key.key_id);
    if (rot?.step === "done") return reply("this key was already rotated.");
    // A rotation whose job ran out of retries (AWS or GitHub down for long) is resumed from its last recorded step.
    const stale = rot && Date.now() - new Date(rot.updated_at).getTime() > deps.settings.rotationStaleMs;
    if (!stale) return reply("a rotation of this key is already under way.");
    await audit(key.key_id, "rotate-resumed", `from step ${rot.step}`);
    await reply(`resuming the rotation of ${code(redactKeyId(key.key_id))}, which stopped at step \`${rot.step}\`.`);
  } else {
    await audit(key.key_id, "rotate-requested");
  }
  // An acknowledgement only: a locked conversation takes no reactions, a deleted issue none at all.
  await react(octokit, ev.repo, ev.commentId, "eyes").catch((err: { status?: number }) => {
    if (!err.status || err.status >= 500 || err.status === 429) throw err;
    deps.log.info({ repo: fullName(ev.repo), issue: ev.issueNumber, status: err.status }, "no reaction to the command");
  });
  const job: RotateJob = {
    installationId: ev.installationId,
    owner: ev.repo.owner,
    repo: ev.repo.repo,
    repoId: ev.repoId,
    issueNumber: ev.issueNumber,
    keyId: key.key_id,
    requestedBy: ev.author,
  };
  await deps.queue.enqueue("rotate", job, { dedupeKey: `rotate:${fullName(ev.repo)}:${ev.commentId}` });
}

async function reactivate(deps: Deps, key: KeyRow, command: Extract<Command, { name: "reactivate" }>, reply: Reply, audit: Audit): Promise<void> {
  const o = owner(key);
  if (!command.reason) return reply("`/reactivate` needs a reason, e.g. `/reactivate production outage, rotating tonight`. Nothing was changed.");
  if (!o || !key.contained_at) return reply(`keyfence did not deactivate ${code(redactKeyId(key.key_id))}, so there is nothing to reactivate.`);
  const rot = await deps.store.rotation(key.key_id);
  if (rot?.step === "done") return reply("this key was rotated and deleted; it cannot be reactivated.");
  await deps.aws.reactivate(o.account, o.user, key.key_id);
  await deps.store.updateKey(key.key_id, { state: "reactivated" });
  await audit(key.key_id, "reactivated", command.reason);
  deps.log.warn({ key: redactKeyId(key.key_id), reason: command.reason }, "leaked key reactivated on request");
  await reply(
    [
      `⚠️ ${code(redactKeyId(key.key_id))} is **Active again**, at your request (reason: ${plain(command.reason)}). This is recorded.`,
      "",
      "It is still leaked: anyone who has read this repository can use it. Comment `/rotate` as soon as you can.",
    ].join("\n"),
  );
}

async function ignore(
  deps: Deps,
  octokit: Octokit,
  ev: CommentEvent,
  key: KeyRow,
  command: Extract<Command, { name: "ignore" }>,
  reply: Reply,
  audit: Audit,
): Promise<void> {
  if (!command.reason) return reply("`/ignore` needs a reason, e.g. `/ignore test fixture, not a real key`. Nothing was changed.");
  const o = owner(key);
  if (key.kind === "live-candidate") {
    if (!o) {
      return reply(`keyfence cannot see whether ${code(redactKeyId(key.key_id))} is still active in its account, so it cannot ignore it. Deactivate it there, then close this issue.`);
    }
    const live = (await deps.aws.listKeys(o.account, o.user)).find((k) => k.keyId === key.key_id);
    if (live?.status === "Active") {
      return reply(`${code(redactKeyId(key.key_id))} is Active in AWS: a live key cannot be ignored. Comment \`/rotate\`, or deactivate it first.`);
    }
  }
  await deps.store.updateKey(key.key_id, { state: "ignored", note: command.reason });
  await audit(key.key_id, "ignored", command.reason);
  await reply(`marked ${code(redactKeyId(key.key_id))} as ignored (reason: ${plain(command.reason)}). Closing.`);
  await closeKeyIssue(octokit, ev.repo, ev.issueNumber, "not_planned");
}
