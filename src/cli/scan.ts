// `keyfence scan`: files, directories, stdin, the git index (--staged) or the
// whole history (--history). All I/O lives in src/cli; src/detect is pure.
import { spawnSync } from "node:child_process";
import { lstatSync, realpathSync } from "node:fs";
import { normalize, resolve, sep } from "node:path";
import { createStreamScanner, type Finding } from "../detect/index.js";
import { scanPaths } from "./scan-pool.js";
import { errorCode } from "./scan-file.js";
import { formatText } from "./report/text.js";
import { formatJson } from "./report/json.js";
import { isLive, type Reported, type ReportOptions } from "./report/types.js";

const USAGE = `usage: keyfence scan [options] [PATH…]

  PATH…             files or directories (recursively); - for stdin; default .
  --staged          scan what \`git commit\` would commit (the index)
  --history         scan every blob in the repository's history
  --format FMT      text (default), json or sarif
  --show-secrets    print full key IDs and secrets (default: redacted)
  -h, --help        this help

exit status: 1 if a live or temporary key was found, 0 if none, 2 on error
`;

interface Options {
  paths: string[];
  staged: boolean;
  history: boolean;
  format: "text" | "json" | "sarif";
  showSecrets: boolean;
}

class UsageError extends Error {}

function parseArgs(args: string[]): Options | "help" {
  const o: Options = { paths: [], staged: false, history: false, format: "text", showSecrets: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-h" || a === "--help") return "help";
    else if (a === "--staged") o.staged = true;
    else if (a === "--history") o.history = true;
    else if (a === "--show-secrets") o.showSecrets = true;
    else if (a === "--format" || a.startsWith("--format=")) {
      const v = a === "--format" ? args[++i] : a.slice("--format=".length);
      if (v !== "text" && v !== "json" && v !== "sarif") throw new UsageError(`--format must be text, json or sarif (got ${v ?? "nothing"})`);
      o.format = v;
    } else if (a === "--") o.paths.push(...args.slice(i + 1)), (i = args.length);
    else if (a.startsWith("-") && a !== "-") throw new UsageError(`unknown option '${a}'`);
    else o.paths.push(a);
  }
  if (o.staged && o.history) throw new UsageError("--staged and --history cannot be combined");
  return o;
}

export async function scanCommand(args: string[]): Promise<number> {
  let o: Options | "help";
  try {
    o = parseArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`keyfence scan: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (o === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const findings: Reported[] = [];
  const sink = (fs: Reported[]) => {
    for (const f of fs) findings.push(f);
  };
  let failed = false;
  let base = process.cwd();
  try {
    // git paths are relative to the repository root, which is also the SARIF base then. git's
    // side (child processes, the history engine) is loaded only when asked for.
    if (o.staged) base = await (await import("./scan-git.js")).scanStaged(o.paths, sink);
    else if (o.history) base = await (await import("./scan-git.js")).scanHistory(o.paths, sink, () => (failed = true));
    else {
      const paths = o.paths.length ? o.paths : ["."];
      if (paths.includes("-")) sink(await scanStream(process.stdin, "-"));
      const roots = distinctRoots(paths.filter((p) => p !== "-"));
      const warn = (p: string, e: unknown) => {
        // A dangling symlink or a loop has nothing to read: noted, not a failure.
        if (!isBrokenLink(p, e)) failed = true;
        warnUnreadable(p, e);
      };
      const note = (p: string, why: string) => process.stderr.write(`keyfence scan: ${p}: ${why}\n`);
      if (roots.length && !(await scanPaths(roots, { findings: sink, warn, note }, { threads: threadsSetting() })).ok) failed = true;
    }
  } catch (e) {
    process.stderr.write(`keyfence scan: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  findings.sort((a, b) => cmp(a.path ?? "", b.path ?? "") || cmp(a.commit ?? "", b.commit ?? "") || a.line - b.line || a.column - b.column);
  const ro: ReportOptions = { showSecrets: o.showSecrets };
  // SARIF's module (and node:crypto) is loaded only when asked for.
  let out: string;
  if (o.format === "sarif") {
    // Code scanning wants paths relative to the repository root: a path scan's are the current
    // directory's, so they are made absolute and the root is the repository's, if there is one.
    const pathScan = !o.staged && !o.history;
    if (pathScan) base = repositoryRoot(process.cwd()) ?? process.cwd();
    const located = pathScan ? findings.map((f) => (f.path && f.path !== "-" ? { ...f, path: resolve(f.path) } : f)) : findings;
    out = (await import("./report/sarif.js")).formatSarif(located, ro, base);
  } else out = o.format === "json" ? formatJson(findings, ro) : formatText(findings, ro);
  // The stream also emits the error, just after the callback: it is handled until then.
  const writeError = await new Promise<Error | undefined>((res) => {
    const onError = (e: Error) => res(e);
    process.stdout.on("error", onError);
    process.stdout.write(out, (e) => {
      res(e ?? undefined);
      setImmediate(() => process.stdout.off("error", onError));
    });
  });
  if (writeError) {
    process.stderr.write(`keyfence scan: cannot write the report: ${errorCode(writeError)}\n`);
    return 2;
  }
  if (findings.some(isLive)) return 1;
  // Something could not be read: it may hold a key, so the scan did not pass.
  return failed ? 2 : 0;
}

/** KEYFENCE_THREADS, within reason (each thread holds a 16 MiB read buffer). */
function threadsSetting(): number | undefined {
  const n = Number(process.env.KEYFENCE_THREADS);
  return n >= 1 ? Math.min(Math.floor(n), 64) : undefined;
}

/** The paths to walk, each once: `t1`, `./t1/` and `t1/a.env` are one root. */
function distinctRoots(paths: string[]): string[] {
  const roots = [...new Set(paths.map((p) => normalize(p)))];
  const real = roots.map((p) => {
    try {
      return realpathSync.native(p);
    } catch {
      return undefined;
    }
  });
  return roots.filter((_, i) => {
    const r = real[i];
    if (r === undefined) return true; // reported when walked
    return !real.some((o, j) => o !== undefined && j !== i && (o === r ? j < i : r.startsWith(o.endsWith(sep) ? o : o + sep)));
  });
}

function isBrokenLink(p: string, e: unknown): boolean {
  const code = errorCode(e);
  if (code !== "ENOENT" && code !== "ELOOP") return false;
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function repositoryRoot(cwd: string): string | undefined {
  const r = spawnSync("git", ["rev-parse", "--show-toplevel"], { cwd, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

/** Code-unit order: as deterministic as localeCompare, without its start-up cost (ICU's collator, ~8 ms). */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

async function scanStream(input: NodeJS.ReadableStream, path: string): Promise<Finding[]> {
  const sc = createStreamScanner({ path });
  const out: Finding[] = [];
  for await (const chunk of input) out.push(...sc.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer)));
  out.push(...sc.end());
  return out;
}

function warnUnreadable(p: string, e: unknown): void {
  process.stderr.write(`keyfence scan: cannot read ${p}: ${errorCode(e)}\n`);
}
