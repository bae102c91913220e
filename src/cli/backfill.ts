// `keyfence backfill`: every repository of an organization, an installation, one repository or
// every installation, its whole history scanned and fed through the push pipeline. The app's own
// environment (APP_ID, PRIVATE_KEY, GHE_HOST, KEYFENCE_DB…) is used; progress lives in the store,
// so the same command run again after an interruption continues where it stopped.
import { pino } from "pino";
import { createProbot } from "probot";
import { AwsGateway } from "../aws/gateway.js";
import { installationOctokit } from "../github/auth.js";
import { loadSettings } from "../config/settings.js";
import { redactKeyId } from "../detect/index.js";
import { loadQueueSettings, openQueue } from "../jobs/index.js";
import {
  enqueueRun,
  planRun,
  resolveScope,
  runIdOf,
  runLocally,
  scopeName,
  type BackfillMode,
  type Scope,
} from "../pipeline/backfill.js";
import type { Deps } from "../pipeline/context.js";
import { BackfillStore, type BackfillFindingRow, type BackfillRepoRow } from "../store/backfill.js";
import { Store } from "../store/index.js";
import { formatSarif } from "./report/sarif.js";
import type { Reported } from "./report/types.js";

const USAGE = `usage: keyfence backfill (--org NAME | --repo OWNER/NAME | --installation ID | --all) [options]

  --mode MODE        report or contain (default: each repository's .github/keyfence.yml)
  --format FMT       text (default), json, sarif or csv: the final report, on stdout
  --concurrency N    repositories scanned at once (default: KEYFENCE_BACKFILL_CONCURRENCY or 2)
  --enqueue          queue the repositories for keyfence's workers instead of scanning here, and follow them
  --restart          forget an earlier run of the same scope and start over
  --keep-mirrors     keep each repository's mirror after its scan
  --quiet            no progress display
  -h, --help         this help

The app's environment is used (APP_ID, PRIVATE_KEY, GHE_HOST, KEYFENCE_DB or DATABASE_URL, AWS…).
Run the same command again after an interruption: finished repositories are not scanned again.
exit status: 1 if a live or temporary key was found, 0 if none, 2 on error or a failed repository
`;

interface Options {
  scope?: Scope;
  mode?: BackfillMode;
  format: "text" | "json" | "sarif" | "csv";
  concurrency: number;
  enqueue: boolean;
  restart: boolean;
  keepMirrors: boolean;
  quiet: boolean;
}

class UsageError extends Error {}

export function parseBackfillArgs(args: string[], env: NodeJS.ProcessEnv = process.env): Options | "help" {
  const o: Options = {
    format: "text",
    concurrency: Number(env.KEYFENCE_BACKFILL_CONCURRENCY ?? 2) || 2,
    enqueue: false,
    restart: false,
    keepMirrors: false,
    quiet: false,
  };
  const scopes: Scope[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf("=");
    const flag = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a;
    const value = () => {
      const v = a.startsWith("--") && eq > 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined || v === "") throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "-h":
      case "--help":
        return "help";
      case "--org":
        scopes.push({ kind: "org", name: value() });
        break;
      case "--repo": {
        const v = value();
        const m = /^([^/\s]+)\/([^/\s]+)$/.exec(v);
        if (!m) throw new UsageError(`--repo must be OWNER/NAME (got ${v})`);
        scopes.push({ kind: "repo", owner: m[1]!, repo: m[2]!.replace(/\.git$/, "") });
        break;
      }
      case "--installation": {
        const v = value();
        if (!/^\d+$/.test(v)) throw new UsageError(`--installation must be a number (got ${v})`);
        scopes.push({ kind: "installation", id: Number(v) });
        break;
      }
      case "--all":
        scopes.push({ kind: "all" });
        break;
      case "--mode": {
        const v = value();
        if (v !== "report" && v !== "contain") throw new UsageError(`--mode must be report or contain (got ${v})`);
        o.mode = v;
        break;
      }
      case "--format": {
        const v = value();
        if (v !== "text" && v !== "json" && v !== "sarif" && v !== "csv") throw new UsageError(`--format must be text, json, sarif or csv (got ${v})`);
        o.format = v;
        break;
      }
      case "--concurrency": {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1 || v > 64) throw new UsageError("--concurrency must be an integer from 1 to 64");
        o.concurrency = v;
        break;
      }
      case "--enqueue":
        o.enqueue = true;
        break;
      case "--restart":
        o.restart = true;
        break;
      case "--keep-mirrors":
        o.keepMirrors = true;
        break;
      case "--quiet":
      case "-q":
        o.quiet = true;
        break;
      default:
        throw new UsageError(`unknown argument '${a}'`);
    }
  }
  if (scopes.length !== 1) throw new UsageError("give exactly one of --org, --repo, --installation, --all");
  o.scope = scopes[0];
  return o;
}

export async function backfillCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let o: Options | "help";
  try {
    o = parseBackfillArgs(args, env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`keyfence backfill: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (o === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const settings = loadSettings(env);
  const log = pino({ level: env.LOG_LEVEL ?? "warn", name: "keyfence-backfill" }, pino.destination(2));
  const store = await Store.open(settings);
  // The server's queue (pg-boss with DATABASE_URL): --enqueue hands repositories to its workers.
  const queue = await openQueue(store, settings.databaseUrl, log, loadQueueSettings(env));
  try {
    const probot = createProbot({ env, overrides: { log } });
    const deps: Deps = {
      settings,
      store,
      aws: new AwsGateway(settings),
      queue,
      log,
      // A long backfill outlives its installation token: one that ran out is refreshed (src/github/auth.ts).
      github: (id) => installationOctokit(probot, id) as ReturnType<Deps["github"]>,
      githubApp: () => probot.auth() as ReturnType<Deps["githubApp"]>,
    };
    return await run(deps, o);
  } finally {
    await queue.stop();
    await store.close();
  }
}

async function run(deps: Deps, o: Options): Promise<number> {
  const scope = scopeName(o.scope!);
  const runId = runIdOf(scope, o.mode);
  const bs = new BackfillStore(deps.store);
  if (o.restart) await bs.dropRun(runId);
  const targets = await resolveScope(deps, o.scope!);
  await planRun(deps, runId, scope, targets, o.mode);
  const progress = new Progress(bs, runId, !o.quiet && process.stderr.isTTY === true, !o.quiet);
  await progress.start();
  try {
    if (o.enqueue) {
      await enqueueRun(deps, runId, o.mode);
      // The server's workers do the work: follow it until every repository is done or failed.
      for (;;) {
        const rows = await bs.repos(runId);
        if (rows.every((r) => r.state === "done" || r.state === "failed")) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    } else {
      for (;;) {
        await runLocally(deps, runId, {
          concurrency: o.concurrency,
          mode: o.mode,
          keepMirror: o.keepMirrors,
          onProgress: (repo, p) => progress.live(repo, p.bytes),
          onRepo: (r) => progress.finished(r.repo, "error" in r ? r.error : undefined),
        });
        // Repositories another live worker holds: wait for it (or for its lease to run out).
        const rows = await bs.repos(runId);
        if (!rows.some((r) => r.state === "running" || r.state === "pending")) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } finally {
    await progress.stop();
  }
  const rows = await bs.repos(runId);
  if (rows.every((r) => r.state === "done")) await bs.finishRun(runId);
  const findings = await bs.findings(runId);
  const report = await buildReport(deps, runId, scope, o.mode, rows, findings);
  const out = o.format === "json" ? JSON.stringify(report, null, 2) + "\n" : o.format === "csv" ? toCsv(report) : o.format === "sarif" ? toSarifReport(findings) : toText(report);
  await new Promise<void>((res) => process.stdout.write(out, () => res()));
  if (rows.some((r) => r.state !== "done")) return 2;
  return findings.some((f) => f.kind !== "example") ? 1 : 0;
}

// ——— progress ———

const MB = 1024 * 1024;

class Progress {
  private t0 = Date.now();
  private timer?: NodeJS.Timeout;
  private inflight = new Map<string, number>();
  private rows: BackfillRepoRow[] = [];
  private findings = 0;
  private lastLine = 0;

  constructor(
    private bs: BackfillStore,
    private runId: string,
    private tty: boolean,
    private enabled: boolean,
  ) {}

  async start() {
    if (!this.enabled) return;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().then(() => this.draw()), this.tty ? 250 : 1000);
    this.timer.unref();
  }
  live(repo: string, bytes: number) {
    this.inflight.set(repo, bytes);
  }
  finished(repo: string, error?: string) {
    this.inflight.delete(repo);
    if (!this.enabled) return;
    void this.refresh().then(() => {
      if (error) this.print(`  ${repo}: failed: ${error}`);
      else this.draw(true);
    });
  }
  async stop() {
    if (!this.timer) return;
    clearInterval(this.timer);
    await this.refresh();
    this.draw(true);
    if (this.tty) process.stderr.write("\n");
  }
  private async refresh() {
    this.rows = await this.bs.repos(this.runId);
    this.findings = this.rows.reduce((n, r) => n + r.findings, 0);
  }
  private print(line: string) {
    process.stderr.write(this.tty ? `\r\x1b[K${line}\n` : `${line}\n`);
  }
  private draw(force = false) {
    if (!this.enabled) return;
    const total = this.rows.length;
    const done = this.rows.filter((r) => r.state === "done").length;
    const failed = this.rows.filter((r) => r.state === "failed").length;
    const running = this.rows.filter((r) => r.state === "running");
    const bytes =
      this.rows.filter((r) => r.state === "done").reduce((n, r) => n + r.bytes, 0) +
      running.reduce((n, r) => n + Math.max(r.bytes, this.inflight.get(r.repo) ?? 0), 0);
    const secs = (Date.now() - this.t0) / 1000;
    const rate = bytes / MB / Math.max(secs, 0.001);
    const left = total - done - failed;
    const eta = done > 0 && left > 0 ? `${Math.ceil((secs / done) * left)}s` : left === 0 ? "0s" : "?";
    const line =
      `backfill ${done}/${total} repositories` +
      (failed ? `, ${failed} failed` : "") +
      ` | ${(bytes / MB).toFixed(1)} MB scanned | ${rate.toFixed(1)} MB/s | ${this.findings} finding(s) | ETA ${eta}` +
      (running.length ? ` | now: ${running.map((r) => r.repo).slice(0, 3).join(", ")}` : "");
    if (this.tty) process.stderr.write(`\r\x1b[K${line}`);
    else if (force || Date.now() - this.lastLine > 5000) {
      this.lastLine = Date.now();
      process.stderr.write(line + "\n");
    }
  }
}

// ——— the report ———

export interface BackfillReport {
  run: string;
  scope: string;
  mode: string;
  repositories: Array<{
    repo: string;
    /** public: its history was visible to anyone, every key in it counts as exposed. */
    visibility: "public" | "private";
    state: string;
    blobs: number;
    megabytes: number;
    findings: number;
    mode: string | null;
    scans: number;
    error: string | null;
  }>;
  findings: Array<{
    repo: string;
    path: string;
    line: number;
    column: number;
    commit: string;
    author: string;
    date: string;
    kind: string;
    key: string;
    keyState: string | null;
    issue: number | null;
  }>;
}

async function buildReport(deps: Deps, runId: string, scope: string, mode: string | undefined, rows: BackfillRepoRow[], findings: BackfillFindingRow[]): Promise<BackfillReport> {
  const keys = new Map<string, string | null>();
  const issues = new Map<string, number | null>();
  for (const f of findings) {
    if (!keys.has(f.key_id)) keys.set(f.key_id, (await deps.store.key(f.key_id))?.state ?? null);
    const ik = `${f.repo}\0${f.key_id}`;
    if (!issues.has(ik)) {
      const i = await deps.store.issueFor(f.repo, f.key_id);
      issues.set(ik, i && i.number > 0 ? i.number : null);
    }
  }
  return {
    run: runId,
    scope,
    mode: mode ?? "settings",
    repositories: rows.map((r) => ({
      repo: r.repo,
      visibility: (JSON.parse(r.info) as { private?: boolean }).private === false ? "public" : "private",
      state: r.state,
      blobs: r.blobs,
      megabytes: Math.round((r.bytes / MB) * 10) / 10,
      findings: r.findings,
      mode: r.mode,
      scans: r.scans,
      error: r.error,
    })),
    findings: findings.map((f) => ({
      repo: f.repo,
      path: f.path,
      line: f.line,
      column: f.col,
      commit: f.commit_sha,
      author: f.author,
      date: f.authored_at,
      kind: f.kind,
      key: redactKeyId(f.key_id),
      keyState: keys.get(f.key_id) ?? null,
      issue: issues.get(`${f.repo}\0${f.key_id}`) ?? null,
    })),
  };
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(w[i]!)).join("  ").trimEnd();
  return [fmt(head), fmt(w.map((n) => "-".repeat(n))), ...rows.map(fmt)].join("\n") + "\n";
}

function toText(r: BackfillReport): string {
  const repos = table(
    ["repository", "visibility", "state", "blobs", "MB", "findings", "mode"],
    r.repositories.map((x) => [x.repo, x.visibility, x.state + (x.error ? ` (${x.error.slice(0, 60)})` : ""), String(x.blobs), x.megabytes.toFixed(1), String(x.findings), x.mode ?? "-"]),
  );
  const totals = r.repositories.reduce((a, x) => ({ mb: a.mb + x.megabytes, f: a.f + x.findings }), { mb: 0, f: 0 });
  const keys = new Set(r.findings.map((f) => f.key)).size;
  let out = `backfill ${r.scope} (mode: ${r.mode})\n\n${repos}\n${r.repositories.length} repositories, ${totals.mb.toFixed(1)} MB, ${totals.f} finding(s), ${keys} distinct key(s)\n`;
  if (r.findings.length) {
    out +=
      "\n" +
      table(
        ["repository", "path:line", "commit", "author", "date", "key", "kind", "state", "issue"],
        r.findings.map((f) => [f.repo, `${f.path}:${f.line}`, f.commit.slice(0, 12), f.author, f.date.slice(0, 10), f.key, f.kind, f.keyState ?? "-", f.issue ? `#${f.issue}` : "-"]),
      );
  }
  return out;
}

function toCsv(r: BackfillReport): string {
  const q = (v: unknown) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\n\r]/.test(s) || /^[=+\-@]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const head = ["repo", "path", "line", "column", "commit", "author", "date", "kind", "key", "keyState", "issue"] as const;
  return [head.join(","), ...r.findings.map((f) => head.map((h) => q(f[h])).join(","))].join("\n") + "\n";
}

/** SARIF as `keyfence scan` writes it; each location is REPOSITORY/PATH, with its commit. */
function toSarifReport(findings: BackfillFindingRow[]): string {
  const reported: Reported[] = findings.map((f) => ({
    keyId: f.key_id,
    redacted: f.redacted,
    kind: f.kind as Reported["kind"],
    line: f.line,
    column: f.col,
    path: `${f.repo}/${f.path}`,
    commit: f.commit_sha,
  }));
  return formatSarif(reported, { showSecrets: false }, "/");
}
