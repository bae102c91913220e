// `keyfence scan --staged` and `--history`: blobs read through git.
import { spawn } from "node:child_process";
import { scanBytes } from "../detect/index.js";
import { scanHistory as scanRepoHistory } from "../sources/history.js";
import type { Reported } from "./report/types.js";

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

/**
 * Reads objects through one `git cat-file --batch`; `onObject` gets each object's
 * request index and content. Missing objects are skipped.
 */
async function catFileBatch(cwd: string, requests: string[], onObject: (i: number, data: Buffer) => void): Promise<void> {
  if (requests.length === 0) return;
  const p = spawn("git", ["cat-file", "--batch"], { cwd, stdio: ["pipe", "pipe", "pipe"] });
  const errs: Buffer[] = [];
  p.stderr.on("data", (d: Buffer) => errs.push(d));
  const done = new Promise<void>((resolve, reject) => {
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`git cat-file: ${Buffer.concat(errs).toString().trim()}`))));
  });
  p.stdin.on("error", () => {});
  (async () => {
    for (const r of requests) if (!p.stdin.write(r + "\n")) await new Promise((res) => p.stdin.once("drain", res));
    p.stdin.end();
  })();
  let buf: Buffer = Buffer.alloc(0);
  let idx = 0;
  let need = -1; // bytes of the current object body (+1 for LF), -1 when expecting a header
  for await (const chunk of p.stdout) {
    buf = buf.length ? Buffer.concat([buf, chunk as Buffer]) : (chunk as Buffer);
    for (;;) {
      if (need < 0) {
        const nl = buf.indexOf(10);
        if (nl === -1) break;
        const header = buf.subarray(0, nl).toString();
        buf = buf.subarray(nl + 1);
        if (header.endsWith(" missing") || header.endsWith(" ambiguous")) {
          idx++;
          continue;
        }
        need = Number(header.split(" ")[2]) + 1;
      }
      if (buf.length < need) break;
      onObject(idx++, Buffer.from(buf.subarray(0, need - 1)));
      buf = buf.subarray(need);
      need = -1;
    }
  }
  await done;
}

async function gitRoot(cwd: string): Promise<string> {
  return (await run("git", ["rev-parse", "--show-toplevel"], cwd)).toString().trim();
}

export async function scanStaged(cwd: string, sink: (f: Reported[]) => void): Promise<string> {
  const root = await gitRoot(cwd);
  const names = (await run("git", ["diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR"], root))
    .toString()
    .split("\0")
    .filter(Boolean);
  const safe = names.filter((n) => !n.includes("\n"));
  await catFileBatch(root, safe.map((n) => `:${n}`), (i, data) => sink(scanBytes(data, { path: safe[i] })));
  return root;
}

/**
 * Every blob of every commit, each read once, attributed to the oldest commit and path that
 * introduced it: the backfill's engine (src/sources/history.ts). Blobs no ref reaches are left out.
 */
export async function scanHistory(cwd: string, sink: (f: Reported[]) => void): Promise<string> {
  const root = await gitRoot(cwd);
  const r = await scanRepoHistory(root);
  sink(r.findings.map(({ commitSha, author: _a, authorEmail: _e, date: _d, blob: _b, ...f }) => ({ ...f, commit: commitSha })));
  return root;
}

