import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { scanPatch } from "../detect/index.js";
import type { RepoRef } from "../github/types.js";
import type { CommitFinding, PushPayload } from "./push.js";

const ZERO = /^0+$/;

export interface GitAccess {
  /** The repository's clone URL, without credentials. */
  cloneUrl: string;
  /** An installation token: sent as an HTTP header, never written into a URL or a config file. */
  token: string;
  /** Where the cached bare mirrors live. */
  mirrorsDir: string;
}

const locks = new Map<string, Promise<unknown>>();

/** One git operation at a time per mirror: concurrent fetches into one repository fail on ref locks. */
async function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(key) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(fn);
  locks.set(key, next);
  try {
    return await next;
  } finally {
    if (locks.get(key) === next) locks.delete(key);
  }
}

export function mirrorPath(mirrorsDir: string, repo: RepoRef): string {
  return join(mirrorsDir, repo.owner, `${repo.repo}.git`);
}

/** Brings the repository's cached bare mirror up to date: only the new objects travel. */
export async function fetchMirror(repo: RepoRef, access: GitAccess): Promise<string> {
  const dir = mirrorPath(access.mirrorsDir, repo);
  return serialized(dir, async () => {
    if (!existsSync(join(dir, "HEAD"))) {
      await mkdir(dir, { recursive: true });
      await git(dir, ["init", "--bare", "--quiet"]);
    }
    const auth = Buffer.from(`x-access-token:${access.token}`).toString("base64");
    await git(dir, [
      "-c",
      `http.extraHeader=Authorization: Basic ${auth}`,
      "-c",
      "credential.helper=",
      "fetch",
      "--quiet",
      "--prune",
      "--force",
      "--no-tags",
      access.cloneUrl,
      "+refs/heads/*:refs/heads/*",
      "+refs/tags/*:refs/tags/*",
    ]);
    return dir;
  });
}

/**
 * The commits a push brought that no other ref already had, each scanned on its own diff (merges
 * against their first parent), streamed so a 10 000-commit push or a huge file never sits in
 * memory whole.
 */
export async function scanPushViaGit(repo: RepoRef, push: PushPayload, access: GitAccess): Promise<CommitFinding[]> {
  if (push.deleted || ZERO.test(push.after)) return [];
  return scanCommits(repo, access, push.after, [push.before], [`--exclude=${push.ref}`, "--all"]);
}

/**
 * Scans the commits reachable from `head` but from none of `known` (those the mirror has) nor
 * from `excludeRevs` (rev-list arguments, e.g. every other ref), each on its own diff.
 */
export async function scanCommits(repo: RepoRef, access: GitAccess, head: string, known: string[], excludeRevs: string[] = []): Promise<CommitFinding[]> {
  const dir = await fetchMirror(repo, access);
  const exclude: string[] = [];
  for (const sha of known) if (!ZERO.test(sha) && sha !== head && (await hasCommit(dir, sha))) exclude.push(sha);
  const out: CommitFinding[] = [];
  await serialized(dir, () =>
    streamPatches(dir, [head, "--not", ...exclude, ...excludeRevs], (commitSha, path, patch) => {
      for (const f of scanPatch(patch, { path })) out.push({ ...f, commitSha, path });
    }),
  );
  return out;
}

async function hasCommit(dir: string, sha: string): Promise<boolean> {
  try {
    await git(dir, ["cat-file", "-e", `${sha}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/** Runs `git log -p` over the revisions and hands over each (commit, path, patch). */
function streamPatches(dir: string, revs: string[], onPatch: (commit: string, path: string, patch: string) => void): Promise<void> {
  const args = [
    "-c",
    "core.quotePath=false",
    "log",
    "-p",
    "--no-color",
    "--no-ext-diff",
    "--text",
    "-M",
    "--diff-merges=first-parent",
    "--format=%x00commit %H",
    ...revs,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    let commit = "";
    let path = "";
    let lines: string[] = [];
    let size = 0;
    const flush = () => {
      if (path && lines.length > 0) onPatch(commit, path, lines.join("\n"));
      lines = [];
      size = 0;
    };
    // latin1 keeps every byte as one character: keys are ASCII, and nothing in a binary diff can break the stream.
    child.stdout.setEncoding("latin1");
    const rl = createInterface({ input: child.stdout, crlfDelay: Infinity });
    rl.on("line", (line) => {
      if (line.startsWith("\0commit ")) {
        flush();
        commit = line.slice(8);
        path = "";
      } else if (line.startsWith("diff --git ")) {
        flush();
        path = "";
      } else if (line.startsWith("+++ ")) {
        path = line === "+++ /dev/null" ? "" : line.slice(6);
      } else if (path) {
        lines.push(line);
        size += line.length;
        // A huge file is scanned in pieces to bound memory (line numbers past the first piece are approximate).
        if (size > 32 * 1024 * 1024) flush();
      }
    });
    const linesDone = new Promise<void>((r) => rl.on("close", () => r()));
    child.on("error", reject);
    child.on("close", (code) => {
      void linesDone.then(() => {
        flush();
        if (code === 0) resolve();
        else reject(new Error(`git log failed (${code}): ${stderr.trim().slice(0, 500)}`));
      });
    });
  });
}

function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`git ${args.find((a) => !a.startsWith("-") && !a.includes("="))} failed (${code}): ${err.trim().slice(0, 500)}`)),
    );
  });
}
