import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { scanCommand } from "../../src/cli/scan.js";

/** Runs `keyfence scan` in this process (much faster than a child), capturing its output. */
export async function keyfence(args: string[], opts: { cwd?: string } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  const cwd = process.cwd();
  const capture = (sink: string[]) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      sink.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString());
      const cb = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  try {
    if (opts.cwd) process.chdir(opts.cwd);
    const code = await scanCommand(args);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.chdir(cwd);
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

/** Runs git in `cwd`; its stdout, or an error with its stderr. */
export const git = (cwd: string, ...args: string[]) => {
  const r = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
};

/** A new, empty git repository at `path` (branch main, a committer configured). */
export function newRepo(path: string): string {
  mkdirSync(path, { recursive: true });
  git(path, "init", "-q", "-b", "main");
  git(path, "config", "user.email", "t@example.com");
  git(path, "config", "user.name", "t");
  return path;
}
