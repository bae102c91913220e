import type { Octokit, RepoRef } from "./types.js";

export interface CheckFinding {
  path: string;
  line: number;
  redacted: string;
  kind: string;
}

const NAME = "keyfence";

/**
 * A check run on the pushed commit: failing when it brought a live or temporary key, with an
 * annotation at each place, so branch protection can stop the merge.
 */
export async function reportCheck(
  octokit: Octokit,
  repo: RepoRef,
  headSha: string,
  findings: CheckFinding[],
  problems: string[],
): Promise<void> {
  const leaks = findings.filter((f) => f.kind !== "example");
  const title = leaks.length === 0 ? "No AWS credentials found" : `${leaks.length} AWS credential${leaks.length > 1 ? "s" : ""} found`;
  const summary = [
    leaks.length === 0
      ? "keyfence scanned every commit of this push and found no AWS credentials."
      : "keyfence found AWS credentials in this push and opened an issue for each key. Keys are shown redacted.",
    ...(problems.length > 0 ? ["", "**Invalid `.github/keyfence.yml`**, the defaults were used instead:", ...problems.map((p) => `- ${p}`)] : []),
  ].join("\n");
  const annotations = findings.slice(0, 50).map((f) => ({
    path: f.path,
    start_line: f.line,
    end_line: f.line,
    annotation_level: f.kind === "example" ? ("notice" as const) : ("failure" as const),
    title: f.kind === "example" ? "Example AWS key" : "AWS credential",
    message: f.kind === "example" ? `${f.redacted} looks like an example key; no action taken.` : `${f.redacted} was committed here. Treat it as compromised.`,
  }));
  await octokit.request("POST /repos/{owner}/{repo}/check-runs", {
    ...repo,
    name: NAME,
    head_sha: headSha,
    status: "completed",
    conclusion: leaks.length > 0 ? "failure" : problems.length > 0 ? "neutral" : "success",
    completed_at: new Date().toISOString(),
    output: { title, summary, annotations },
  });
}
