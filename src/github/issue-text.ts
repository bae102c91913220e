import { createHash } from "node:crypto";
import { code, plain } from "./markdown.js";

export interface Location {
  commitSha: string;
  path: string;
  line: number;
  url: string;
}

export interface LeakReport {
  redactedKeyId: string;
  /** A stable, non-reversible tag for the key, hidden in the issue to find it again. */
  marker: string;
  kind: "live-candidate" | "temporary";
  locations: Location[];
  accountId?: string;
  userName?: string;
  lastUsed?: { date?: Date; serviceName?: string; region?: string };
  done: Array<{ what: string; at: Date }>;
  notDone: string[];
  /** Whether keyfence deactivated the key (false: another account, or mode: report). */
  contained: boolean;
}

export const ISSUE_LABEL = "keyfence";

/** GitHub's limit on an issue's body, in characters. */
export const MAX_ISSUE_BODY = 65_536;

export function keyMarker(keyId: string): string {
  return `<!-- keyfence:key:${createHash("sha256").update(`keyfence:${keyId}`).digest("hex").slice(0, 24)} -->`;
}

export function leakIssueTitle(r: Pick<LeakReport, "redactedKeyId" | "kind">): string {
  const what = r.kind === "temporary" ? "Temporary AWS credentials" : "AWS access key";
  return `${what} ${r.redactedKeyId} found in this repository`;
}

export function leakIssueBody(r: LeakReport): string {
  const lines: string[] = [r.marker, ""];
  lines.push(intro(r), "");

  lines.push("### Where it was found", "");
  for (const l of r.locations.slice(0, 20)) {
    lines.push(`- ${code(l.path)}, line ${l.line}, in commit [${l.commitSha.slice(0, 7)}](${l.url})`);
  }
  if (r.locations.length > 20) lines.push(`- …and ${r.locations.length - 20} more places`);
  lines.push("");

  lines.push("### Whose key it is", "");
  lines.push(`- Key: ${code(r.redactedKeyId)}`);
  lines.push(`- AWS account: ${r.accountId ? code(r.accountId) : "unknown"}`);
  if (r.userName) lines.push(`- IAM user: ${code(r.userName)}`);
  if (r.lastUsed?.date) {
    const where = [r.lastUsed.serviceName, r.lastUsed.region].filter(Boolean).map((s) => code(s!)).join(" in ");
    lines.push(`- Last used: ${r.lastUsed.date.toISOString()}${where ? ` (${where})` : ""}`);
  } else if (r.userName) {
    lines.push("- Last used: never, as far as AWS reports");
  }
  lines.push("");

  lines.push("### What keyfence did", "");
  if (r.done.length === 0) lines.push("- Nothing yet.");
  for (const d of r.done) lines.push(`- ${d.at.toISOString()}: ${d.what}`);
  for (const n of r.notDone) lines.push(`- Not done: ${n}`);
  lines.push("");

  lines.push(...nextSteps(r));
  return lines.join("\n");
}

function intro(r: LeakReport): string {
  if (r.kind === "temporary") {
    return "Temporary AWS credentials (an `ASIA` key with its session) were pushed to this repository. They cannot be deactivated: they stop working when they expire, at the latest after the session's duration.";
  }
  return "An AWS access key was pushed to this repository. Anyone who can read the repository, or its history, could use it. Treat it as compromised.";
}

function nextSteps(r: LeakReport): string[] {
  const steps = ["### How to finish", ""];
  if (r.kind === "temporary") {
    return steps.concat([
      "1. Revoke the sessions of the role or user that issued these credentials: in IAM, on the role, use *Revoke active sessions* (it denies every session issued before now).",
      "2. Find out how temporary credentials ended up in a file, and stop it from happening again.",
      "3. Remove them from the repository's history (see below).",
      "",
      ...purge(),
    ]);
  }
  if (!r.contained) {
    return steps.concat([
      `keyfence did not deactivate this key${r.accountId ? `: it belongs to AWS account ${code(r.accountId)}` : ""}. Whoever manages that account must act now, before someone else uses the key:`,
      "1. Deactivate it: in the IAM console, open the user, *Security credentials*, *Actions*, *Deactivate* (or `aws iam update-access-key --status Inactive` with the key ID and user name).",
      "2. Revoke the sessions already issued with it: attach to the user an inline policy that denies everything to sessions issued before now (the `aws:TokenIssueTime` condition).",
      "3. Create a new key for the user, put it wherever the leaked one was used, then delete the leaked key.",
      "4. Look in CloudTrail for calls made with the key since it was pushed.",
      "",
      ...purge(),
    ]);
  }
  return steps.concat([
    "The leaked key is inactive, so whatever still uses it has stopped working. Rotating means: a new key for the same IAM user, put where the old one was used, then the old one deleted so it can never be turned back on.",
    "",
    "**Let keyfence do it:** a maintainer or admin of this repository comments `/rotate` here (`/rotate --dry-run` first shows exactly what would happen). keyfence creates the new key, writes it to this repository's encrypted Actions secrets (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, or the destinations set in `.github/keyfence.yml`), checks that it works, deletes the leaked key and closes this issue. The new secret is never shown anywhere.",
    "",
    "**Or by hand**, as someone allowed to manage this IAM user:",
    "1. In the IAM console, open the user above, *Security credentials*, *Create access key*. The secret is shown once: put it straight into your secret store, never in a file or a message.",
    "2. Update every program, pipeline and secret store that used the leaked key to use the new one.",
    "3. Leave the leaked key inactive for a while and watch for failures: its *last used* date tells you if something still tries it.",
    "4. Delete the leaked key. An inactive key can be switched back on; a deleted one cannot.",
    "",
    ...purge(),
  ]);
}

function purge(): string[] {
  return [
    "**Remove it from history.** Deleting the line in a new commit leaves the key in every earlier commit. Rewrite history (for example `git filter-repo --replace-text`), force-push, and ask collaborators to re-clone. Rotation matters more than the rewrite: forks and clones keep the old commits.",
  ];
}

export function rotationDoneComment(r: {
  oldRedacted: string;
  newRedacted: string;
  destinations: string[];
  steps: Array<{ what: string; at: Date }>;
  notes?: string[];
}): string {
  return [
    ...(r.notes ?? []).flatMap((n) => [`> [!WARNING]\n> ${n}`, ""]),
    `Rotation finished: ${code(r.oldRedacted)} is deleted, its replacement ${code(r.newRedacted)} is active.`,
    "",
    "The new key was written to:",
    ...r.destinations.map((d) => `- ${plain(d)}`),
    "",
    "Steps:",
    ...r.steps.map((s) => `- ${s.at.toISOString()}: ${s.what}`),
    "",
    "Closing this issue. Remember to remove the leaked key from the repository's history.",
  ].join("\n");
}
