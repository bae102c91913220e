// `keyfence scan`: files, directories, stdin, the git index (--staged) or the
// whole history (--history). All I/O lives in src/cli; src/detect is pure.
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
    if (o.staged) base = await (await import("./scan-git.js")).scanStaged(o.paths[0] ?? ".", sink);
    else if (o.history) base = await (await import("./scan-git.js")).scanHistory(o.paths[0] ?? ".", sink);
    else {
      const paths = o.paths.length ? o.paths : ["."];
      if (paths.includes("-")) sink(await scanStream(process.stdin, "-"));
      const roots = paths.filter((p) => p !== "-");
      if (roots.length && !(await scanPaths(roots, { findings: sink, warn: warnUnreadable }, { threads: Number(process.env.KEYFENCE_THREADS) || undefined })).ok) failed = true;
    }
  } catch (e) {
    process.stderr.write(`keyfence scan: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  findings.sort((a, b) => cmp(a.path ?? "", b.path ?? "") || cmp(a.commit ?? "", b.commit ?? "") || a.line - b.line || a.column - b.column);
  const ro: ReportOptions = { showSecrets: o.showSecrets };
  // SARIF's module (and node:crypto) is loaded only when asked for.
  const out =
    o.format === "json" ? formatJson(findings, ro) : o.format === "sarif" ? (await import("./report/sarif.js")).formatSarif(findings, ro, base) : formatText(findings, ro);
  await new Promise<void>((res) => process.stdout.write(out, () => res()));
  if (findings.some(isLive)) return 1;
  return failed && findings.length === 0 ? 2 : 0;
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
