// `keyfence scan --staged` and `--history`: blobs read through git.
import { spawn } from "node:child_process";
import { lstatSync, statSync } from "node:fs";
import { introductions, scanBlobs, scanHistory as scanRepoHistory } from "../sources/history.js";
import type { Reported } from "./report/types.js";

/** Blobs over this size are not read by --history. */
const MAX_BLOB = 256 << 20;

function run(cmd: string, args: string[], cwd: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on("data", (d: Buffer) => out.push(d));
    p.stderr.on("data", (d: Buffer) => err.push(d));
    p.on("error", reject);
    p.on("close", (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${cmd} ${args.join(" ")}: ${Buffer.concat(err).toString().trim() || `exit ${code}`}`)),
    );
  });
}

const warn = (message: string) => process.stderr.write(`keyfence scan: ${message}\n`);

/** The paths given: a list, or (as scan.ts passes it) the first one, "." when there was none. */
const pathList = (paths: string | string[]): string[] => (typeof paths !== "string" ? paths : paths === "." ? [] : [paths]);

/** Fails clearly on a path that is not there, rather than with what git or spawn would say. */
function mustExist(path: string, directory = false): void {
  const st = (directory ? statSync : lstatSync)(path, { throwIfNoEntry: false });
  if (!st) throw new Error(`no such file or directory: ${path}`);
  if (directory && !st.isDirectory()) throw new Error(`not a directory: ${path} (--history takes the repository)`);
}

async function gitRoot(cwd: string): Promise<string> {
  return (await run("git", ["rev-parse", "--show-toplevel"], cwd)).toString().trim();
}

/**
 * What `git commit` would commit: each blob the index adds or changes (type changes included),
 * read by its ID, so that no file name can be misread. With paths, only the entries under them,
 * in the repository holding the current directory.
 */
export async function scanStaged(paths: string | string[], sink: (f: Reported[]) => void): Promise<string> {
  const list = pathList(paths);
  for (const p of list) mustExist(p);
  const root = await gitRoot(".");
  const args = ["--literal-pathspecs", "diff", "--cached", "--raw", "-z", "--no-abbrev", "--no-renames", "--diff-filter=AMT", "--", ...list];
  // Records ":<old mode> <new mode> <old blob> <new blob> <status>\0<path>\0"; paths are bytes,
  // shown as UTF-8 (lossily if they are not).
  const raw = await run("git", args, list.length ? "." : root);
  const fields: Buffer[] = [];
  for (let i = 0, j = raw.indexOf(0); j !== -1; i = j + 1, j = raw.indexOf(0, i)) fields.push(raw.subarray(i, j));
  const at = new Map<string, string[]>();
  for (let k = 0; k + 1 < fields.length; k += 2) {
    const [, mode, , blob] = fields[k]!.toString("latin1").split(" ");
    if (mode !== "160000") at.set(blob!, [...(at.get(blob!) ?? []), fields[k + 1]!.toString("utf8")]); // not a submodule's commit
  }
  await scanBlobs(root, [...at.keys()], (blob, _size, fs) => {
    for (const path of at.get(blob)!) sink(fs.map((f) => ({ ...f, path })));
  });
  return root;
}

/**
 * Every blob of every commit, each read once, attributed to the oldest commit and path that
 * introduced it: the backfill's engine (src/sources/history.ts). Keys in blobs no ref reaches are
 * only warned of. Blobs over MAX_BLOB are not read: a warning names them and `incomplete` is
 * called (the scan may have missed a key: it fails unless a live one was found).
 */
export async function scanHistory(paths: string | string[], sink: (f: Reported[]) => void, incomplete: () => void = () => undefined): Promise<string> {
  const list = pathList(paths);
  if (list.length > 1) throw new Error(`--history takes one path, the repository (got ${list.length})`);
  const dir = list[0] ?? ".";
  mustExist(dir, true);
  const [bare, shallow, gitDir] = (await run("git", ["rev-parse", "--is-bare-repository", "--is-shallow-repository", "--absolute-git-dir"], dir))
    .toString()
    .trim()
    .split("\n");
  const root = bare === "true" ? gitDir! : await gitRoot(dir);
  const skipped = new Map<string, number>();
  const r = await scanRepoHistory(root, { maxBlobBytes: MAX_BLOB, onSkip: (blob, size) => skipped.set(blob, size) });
  const found = r.findings.map(({ commitSha, author: _a, authorEmail: _e, date: _d, blob: _b, ...f }) => ({ ...f, commit: commitSha }));
  if (shallow === "true") warn("shallow clone: only the commits present were scanned (git fetch --unshallow for the rest)");
  if (r.unreachable.length) {
    const blobs = [...new Set(r.unreachable.map((u) => u.blob))];
    warn(`${r.unreachable.length} key(s) in objects no ref reaches, not reported: blob ${blobs.join(", ")}`);
  }
  if (skipped.size) {
    const origins = await introductions(root, new Set(skipped.keys()));
    for (const [blob, size] of skipped) {
      const where = origins.get(blob)?.map((o) => `${o.path} (commit ${o.commit.slice(0, 12)})`) ?? ["no ref reaches it"];
      warn(`not scanned, over the ${MAX_BLOB >> 20} MiB limit (${size} bytes): blob ${blob}: ${where.join(", ")}`);
    }
    incomplete();
  }
  sink(found);
  return root;
}
