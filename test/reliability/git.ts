import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Rig } from "./harness.js";

/** Clones a repository as `login`, commits `files`, and pushes the commit to every ref given, in one push. */
export async function pushRefs(rig: Rig, repo: string, login: string, files: Record<string, string>, refs: string[], message = "release"): Promise<string> {
  const { github, org } = rig.world;
  const dir = mkdtempSync(join(tmpdir(), "kf-push-"));
  const url = github.authedCloneUrl(org, repo, login);
  // Asynchronous: the simulator answering git runs in this very process.
  const git = async (...args: string[]) =>
    (await promisify(execFile)("git", ["-c", "credential.helper=", "-c", "user.name=" + login, "-c", `user.email=${login}@example.invalid`, ...args], { cwd: dir })).stdout.trim();
  try {
    await git("init", "-q");
    await git("fetch", "-q", url, "+refs/heads/*:refs/remotes/origin/*");
    try {
      await git("checkout", "-q", "-B", "work", "origin/main");
    } catch {
      await git("checkout", "-q", "-b", "work");
    }
    for (const [p, c] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), c);
    }
    await git("add", "-A");
    await git("commit", "-q", "-m", message);
    const sha = await git("rev-parse", "HEAD");
    await git("push", "-q", url, ...refs.map((r) => `${sha}:${r}`));
    await github.idle();
    return sha;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
