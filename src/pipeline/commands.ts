import { redactKeyId } from "../detect/index.js";
import { parseCommand } from "../github/commands.js";
import { comment, react } from "../github/issues.js";
import { code } from "../github/markdown.js";
import { atLeast, roleOf } from "../github/permission.js";
import { fullName, type Octokit, type RepoRef } from "../github/types.js";
import type { Deps } from "./context.js";
import { defaultDestinations, describeDestination, type RotateJob } from "./rotate.js";

export interface CommentEvent {
  installationId: number;
  repo: RepoRef;
  issueNumber: number;
  commentId: number;
  body: string;
  author: string;
  authorType: string;
}

/** A comment on an issue: if it is a keyfence command, check who asks and queue the work. */
export async function handleComment(deps: Deps, octokit: Octokit, ev: CommentEvent): Promise<void> {
  const command = parseCommand(ev.body);
  if (!command || ev.authorType === "Bot") return;
  const reply = (text: string) => comment(octokit, ev.repo, ev.issueNumber, `@${ev.author} ${text}`);

  const issue = await deps.store.issueByNumber(fullName(ev.repo), ev.issueNumber);
  if (!issue) return reply(`\`/${command.name}\` only works on an issue keyfence opened about a leaked key.`);

  const role = await roleOf(octokit, ev.repo.owner, ev.repo.repo, ev.author);
  if (!atLeast(role, "maintain")) {
    await deps.store.logAction({ keyId: issue.key_id, repo: fullName(ev.repo), action: "refused", detail: `/${command.name}: role ${role}`, actor: ev.author });
    deps.log.info({ repo: fullName(ev.repo), issue: ev.issueNumber, actor: ev.author, role, command: command.name }, "command refused");
    return reply(`\`/${command.name}\` needs the maintain or admin role on this repository; yours is ${role}. Nothing was changed.`);
  }
  if (command.name !== "rotate") {
    return reply(`\`/${command.name}\` is not available yet. Nothing was changed.`);
  }

  const key = await deps.store.key(issue.key_id);
  if (!key?.account_id || !key.user_name) {
    return reply(`keyfence cannot rotate ${code(redactKeyId(issue.key_id))}: ${key?.note ?? "its owner is unknown"}.`);
  }
  if (command.dryRun) {
    const dest = defaultDestinations.map((d) => `- ${describeDestination(ev.repo, d)}`).join("\n");
    return reply(
      [
        `\`/rotate\` would, in AWS account ${code(key.account_id)} for IAM user ${code(key.user_name)}:`,
        `1. create a new access key;`,
        `2. write it to:\n${dest}`,
        `3. check that the new key authenticates;`,
        `4. delete the leaked key ${code(redactKeyId(issue.key_id))} and close this issue.`,
        "",
        "Nothing was changed.",
      ].join("\n"),
    );
  }

  const started = await deps.store.startRotation({
    keyId: issue.key_id,
    repo: fullName(ev.repo),
    issueNumber: ev.issueNumber,
    requestedBy: ev.author,
  });
  if (!started) {
    const rot = await deps.store.rotation(issue.key_id);
    return reply(rot?.step === "done" ? "this key was already rotated." : "a rotation of this key is already under way.");
  }
  await deps.store.logAction({ keyId: issue.key_id, repo: fullName(ev.repo), action: "rotate-requested", actor: ev.author });
  await react(octokit, ev.repo, ev.commentId, "eyes");
  const job: RotateJob = {
    installationId: ev.installationId,
    owner: ev.repo.owner,
    repo: ev.repo.repo,
    issueNumber: ev.issueNumber,
    keyId: issue.key_id,
    requestedBy: ev.author,
  };
  await deps.queue.enqueue("rotate", job, { dedupeKey: `rotate:${fullName(ev.repo)}:${ev.commentId}` });
}
