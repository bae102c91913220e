/** Real bare git repositories: plumbing helpers, diffs, and the smart-HTTP CGI bridge. */
import { spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";

export const ZERO_SHA = "0000000000000000000000000000000000000000";
export const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
/** Inherited variables that would point git somewhere else (e.g. when tests run inside a git hook). */
const GIT_LOCATION_VARS = ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_COMMON_DIR", "GIT_PREFIX", "GIT_QUARANTINE_PATH"];
export function cleanEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of GIT_LOCATION_VARS) delete env[k];
  return env;
}

const GIT_BASE_ENV: Record<string, string> = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
  GIT_AUTHOR_NAME: "sim",
  GIT_AUTHOR_EMAIL: "sim@localhost",
  GIT_COMMITTER_NAME: "sim",
  GIT_COMMITTER_EMAIL: "sim@localhost",
};

export interface GitResult { stdout: Buffer; stderr: string; code: number }

export function git(args: string[], opts: { gitDir?: string; cwd?: string; input?: Buffer | string; env?: Record<string, string | undefined>; allowFail?: boolean } = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...cleanEnv(), HOME: process.env.HOME ?? "/tmp", ...GIT_BASE_ENV, ...opts.env };
    if (opts.gitDir) env.GIT_DIR = opts.gitDir;
    const child = spawn("git", args, { cwd: opts.cwd, env: env as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => {
      const r = { stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8"), code: code ?? -1 };
      if (r.code !== 0 && !opts.allowFail) reject(new Error(`git ${args.join(" ")} failed (${r.code}): ${r.stderr}`));
      else resolve(r);
    });
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}
const text = async (args: string[], gitDir: string) => (await git(args, { gitDir })).stdout.toString("utf8").trim();

export async function initBare(dir: string, defaultBranch: string): Promise<void> {
  await git(["init", "--bare", "-q", `--initial-branch=${defaultBranch}`, dir]);
  await git(["config", "http.receivepack", "true"], { gitDir: dir });
  await git(["config", "receive.denyNonFastForwards", "false"], { gitDir: dir });
  await git(["config", "uploadpack.allowReachableSHA1InWant", "true"], { gitDir: dir });
}

export async function listRefs(gitDir: string): Promise<Map<string, string>> {
  const out = await text(["for-each-ref", "--format=%(objectname) %(refname)"], gitDir);
  const m = new Map<string, string>();
  for (const line of out.split("\n")) {
    if (!line) continue;
    const [sha, ref] = line.split(" ");
    m.set(ref, sha);
  }
  return m;
}

export async function resolveCommit(gitDir: string, ref: string): Promise<string | undefined> {
  if (!/^[\w./\-^~@{}]+$/.test(ref) || ref.startsWith("-")) return undefined;
  const r = await git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { gitDir, allowFail: true });
  return r.code === 0 ? r.stdout.toString("utf8").trim() : undefined;
}

export async function isAncestor(gitDir: string, a: string, b: string): Promise<boolean> {
  return (await git(["merge-base", "--is-ancestor", a, b], { gitDir, allowFail: true })).code === 0;
}

export async function mergeBase(gitDir: string, a: string, b: string): Promise<string | undefined> {
  const r = await git(["merge-base", a, b], { gitDir, allowFail: true });
  return r.code === 0 ? r.stdout.toString("utf8").trim() : undefined;
}

/** Commits reachable from `include` but not from any of `exclude`, oldest first. */
export async function revList(gitDir: string, include: string, exclude: string[], max?: number): Promise<string[]> {
  const args = ["rev-list", "--reverse", "--topo-order", include, ...(exclude.length ? ["--not", ...exclude] : [])];
  const out = await text(args, gitDir);
  const all = out ? out.split("\n") : [];
  return max !== undefined ? all.slice(0, max) : all;
}

export async function countRange(gitDir: string, from: string, to: string): Promise<number> {
  return Number(await text(["rev-list", "--count", `${from}..${to}`], gitDir));
}

export interface CommitInfo {
  sha: string; tree: string; parents: string[];
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
  message: string;
}

export async function commitInfo(gitDir: string, sha: string): Promise<CommitInfo> {
  const out = (await git(["show", "-s", "--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B", `${sha}^{commit}`], { gitDir })).stdout.toString("utf8");
  const f = out.split("\0");
  const utc = (d: string) => new Date(d).toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    sha: f[0], tree: f[1], parents: f[2] ? f[2].split(" ") : [],
    author: { name: f[3], email: f[4], date: utc(f[5]) },
    committer: { name: f[6], email: f[7], date: utc(f[8]) },
    message: f.slice(9).join("\0").replace(/\n+$/, ""),
  };
}

export interface DiffFile {
  filename: string; previous_filename?: string;
  status: "added" | "modified" | "removed" | "renamed" | "copied" | "changed";
  oldSha: string; newSha: string;
  additions: number; deletions: number; changes: number;
  binary: boolean; patch?: string;
}

export const MAX_PATCH_BYTES = 1_000_000;
const STATUS: Record<string, DiffFile["status"]> = { A: "added", M: "modified", D: "removed", R: "renamed", C: "copied", T: "changed" };

/** Diff two commits (from=undefined → root commit vs empty tree), computed by git. */
export async function diffFiles(gitDir: string, from: string | undefined, to: string): Promise<DiffFile[]> {
  const base = from ?? EMPTY_TREE;
  const common = ["-M", "--no-color", "--no-ext-diff", "--full-index", "--no-textconv", base, to];
  const [rawOut, numOut, patchOut] = await Promise.all([
    git(["diff", "--raw", "-z", "--no-abbrev", ...common], { gitDir }),
    git(["diff", "--numstat", "-z", ...common], { gitDir }),
    git(["diff", "-p", ...common], { gitDir }),
  ]);
  const raw = rawOut.stdout.toString("utf8").split("\0");
  const num = numOut.stdout.toString("utf8").split("\0");
  const patchText = patchOut.stdout.toString("utf8");
  const files: DiffFile[] = [];
  for (let i = 0; i < raw.length; ) {
    const meta = raw[i];
    if (!meta || !meta.startsWith(":")) { i++; continue; }
    const [, , oldSha, newSha, st] = meta.slice(1).split(" ");
    const code = st[0];
    if (code === "R" || code === "C") {
      files.push({ filename: raw[i + 2], previous_filename: raw[i + 1], status: STATUS[code], oldSha, newSha, additions: 0, deletions: 0, changes: 0, binary: false });
      i += 3;
    } else {
      files.push({ filename: raw[i + 1], status: STATUS[code] ?? "modified", oldSha, newSha, additions: 0, deletions: 0, changes: 0, binary: false });
      i += 2;
    }
  }
  // numstat -z: "add\tdel\tpath\0" or "add\tdel\t\0old\0new\0"
  let fi = 0;
  for (let i = 0; i < num.length && fi < files.length; ) {
    const entry = num[i];
    if (!entry) { i++; continue; }
    const [a, d, p] = entry.split("\t");
    const f = files[fi++];
    if (a === "-" && d === "-") f.binary = true;
    else { f.additions = Number(a); f.deletions = Number(d); }
    f.changes = f.additions + f.deletions;
    i += p === "" ? 3 : 1;
  }
  const chunks = patchText.split(/^diff --git /m).slice(1);
  chunks.forEach((chunk, idx) => {
    const f = files[idx];
    if (!f || f.binary) return;
    const at = chunk.search(/^@@ /m);
    if (at < 0) return;
    const patch = chunk.slice(at).replace(/\n$/, "");
    if (Buffer.byteLength(patch) <= MAX_PATCH_BYTES) f.patch = patch;
  });
  return files;
}

/** Unified diff text (media type diff) or mbox patch (media type patch) — what `git` prints. */
export async function diffText(gitDir: string, from: string | undefined, to: string, kind: "diff" | "patch"): Promise<Buffer> {
  if (kind === "patch") return (await git(["format-patch", "--stdout", "--no-color", "--full-index", from ? `${from}..${to}` : "--root", ...(from ? [] : [to])], { gitDir })).stdout;
  return (await git(["diff", "--no-color", "--no-ext-diff", "--full-index", "-M", from ?? EMPTY_TREE, to], { gitDir })).stdout;
}

export interface TreeEntry { mode: string; type: "blob" | "tree" | "commit"; sha: string; size: number; path: string; name: string }

/** Look up `path` at `ref` (path "" = root tree). */
export async function lookupPath(gitDir: string, commit: string, path: string): Promise<TreeEntry | { type: "root" } | undefined> {
  if (!path) return { type: "root" };
  const r = await git(["ls-tree", "-z", "--long", "--full-tree", commit, "--", path], { gitDir, allowFail: true });
  if (r.code !== 0) return undefined;
  const e = parseLsTree(r.stdout.toString("utf8"))[0];
  return e && e.path === path ? e : undefined;
}

export async function listDir(gitDir: string, commit: string, path: string): Promise<TreeEntry[]> {
  const spec = path ? `${commit}:${path}` : commit;
  const r = await git(["ls-tree", "-z", "--long", spec], { gitDir });
  return parseLsTree(r.stdout.toString("utf8")).map((e) => ({ ...e, path: path ? `${path}/${e.name}` : e.name }));
}

function parseLsTree(out: string): TreeEntry[] {
  return out.split("\0").filter(Boolean).map((line) => {
    const tab = line.indexOf("\t");
    const [mode, type, sha, size] = line.slice(0, tab).split(/\s+/);
    const path = line.slice(tab + 1);
    return { mode, type: type as TreeEntry["type"], sha, size: size === "-" ? 0 : Number(size), path, name: path.split("/").pop()! };
  });
}

export async function readBlob(gitDir: string, sha: string): Promise<Buffer> {
  return (await git(["cat-file", "blob", sha], { gitDir })).stdout;
}

/** Create one commit with plumbing (no worktree). files: path → content, or null to delete. */
export async function buildCommit(gitDir: string, opts: {
  parent?: string; files: Record<string, string | Buffer | null>; message: string;
  author: { name: string; email: string }; indexFile: string; date?: Date;
}): Promise<string> {
  const env = { GIT_INDEX_FILE: opts.indexFile };
  await git(opts.parent ? ["read-tree", opts.parent] : ["read-tree", "--empty"], { gitDir, env });
  const lines: string[] = [];
  for (const [path, content] of Object.entries(opts.files)) {
    if (content === null) { lines.push(`0 ${ZERO_SHA}\t${path}`); continue; }
    const sha = (await git(["hash-object", "-w", "--stdin"], { gitDir, input: content })).stdout.toString("utf8").trim();
    lines.push(`100644 ${sha}\t${path}`);
  }
  if (lines.length) await git(["update-index", "-z", "--index-info"], { gitDir, env, input: lines.join("\0") + "\0" });
  const tree = (await git(["write-tree"], { gitDir, env })).stdout.toString("utf8").trim();
  const date = (opts.date ?? new Date()).toISOString();
  const idEnv = {
    GIT_AUTHOR_NAME: opts.author.name, GIT_AUTHOR_EMAIL: opts.author.email, GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: opts.author.name, GIT_COMMITTER_EMAIL: opts.author.email, GIT_COMMITTER_DATE: date,
  };
  const args = ["commit-tree", tree, ...(opts.parent ? ["-p", opts.parent] : []), "-F", "-"];
  return (await git(args, { gitDir, env: idEnv, input: opts.message })).stdout.toString("utf8").trim();
}

/** Run git-http-backend as CGI for one request. */
export function httpBackend(req: IncomingMessage, res: ServerResponse, opts: { projectRoot: string; pathInfo: string; query: string; remoteUser?: string }): Promise<number> {
  return new Promise((resolve) => {
    const env: Record<string, string> = {
      ...(cleanEnv() as Record<string, string>),
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_PROJECT_ROOT: opts.projectRoot,
      GIT_HTTP_EXPORT_ALL: "1",
      PATH_INFO: opts.pathInfo,
      QUERY_STRING: opts.query,
      REQUEST_METHOD: req.method ?? "GET",
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      REMOTE_USER: opts.remoteUser ?? "",
      REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
      GIT_CONFIG_NOSYSTEM: "1",
    };
    if (req.headers["content-length"]) env.CONTENT_LENGTH = String(req.headers["content-length"]);
    if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = String(req.headers["content-encoding"]);
    if (req.headers["git-protocol"]) env.HTTP_GIT_PROTOCOL = env.GIT_PROTOCOL = String(req.headers["git-protocol"]);
    const child = spawn("/usr/lib/git-core/git-http-backend", [], { env, stdio: ["pipe", "pipe", "pipe"] });
    let headerBuf = Buffer.alloc(0);
    let headersDone = false;
    let status = 200;
    child.stdout.on("data", (d: Buffer) => {
      if (headersDone) { res.write(d); return; }
      headerBuf = Buffer.concat([headerBuf, d]);
      let sep = headerBuf.indexOf("\r\n\r\n");
      let sepLen = 4;
      if (sep < 0) { sep = headerBuf.indexOf("\n\n"); sepLen = 2; }
      if (sep < 0) return;
      headersDone = true;
      const head = headerBuf.subarray(0, sep).toString("latin1");
      for (const line of head.split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i < 0) continue;
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === "status") status = Number(v.split(" ")[0]);
        else res.setHeader(k, v);
      }
      res.statusCode = status;
      const rest = headerBuf.subarray(sep + sepLen);
      if (rest.length) res.write(rest);
    });
    child.stderr.on("data", () => {});
    child.on("close", () => {
      if (!headersDone) { res.statusCode = 500; }
      res.end();
      resolve(status);
    });
    child.stdin.on("error", () => {});
    req.pipe(child.stdin);
  });
}
