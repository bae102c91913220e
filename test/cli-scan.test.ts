import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, truncateSync, appendFileSync, openSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { KEY, SECRET, makeKeyId, makeSecret } from "./detect/helpers.js";
import { git, keyfence, newRepo } from "./helpers/scan-cli.js";
import { scanPaths, type PoolOptions } from "../src/cli/scan-pool.js";

const ROOT = resolve(import.meta.dirname, "..");
const MAIN = join(ROOT, "src/cli/main.ts");
const TSX = join(ROOT, "node_modules/.bin/tsx");

/** Runs `keyfence scan` as a child process (for stdin and the real entry point). */
function keyfenceChild(args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(TSX, [MAIN, "scan", ...args], {
    cwd: opts.cwd ?? ROOT,
    input: opts.input ?? "",
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "", ...opts.env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
const KEY2 = makeKeyId("ASIA", 210987654321n);
const SECRET2 = makeSecret(99);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "keyfence-scan-"));
  mkdirSync(join(dir, "tree/sub"), { recursive: true });
  mkdirSync(join(dir, "tree/node_modules/pkg"), { recursive: true });
  mkdirSync(join(dir, "tree/.git"), { recursive: true });
  writeFileSync(join(dir, "tree/app.env"), `A=1\nAWS_ACCESS_KEY_ID=${KEY}\nAWS_SECRET_ACCESS_KEY=${SECRET}\n`);
  writeFileSync(join(dir, "tree/sub/clean.txt"), "nothing to see\n");
  writeFileSync(join(dir, "tree/sub/docs.md"), "use AKIAIOSFODNN7EXAMPLE\n");
  writeFileSync(join(dir, "tree/node_modules/pkg/x.env"), `k=${KEY2}\n`);
  writeFileSync(join(dir, "tree/.git/config"), `k=${KEY2}\n`);
  symlinkSync("..", join(dir, "tree/sub/loop"));
  mkdirSync(join(dir, "clean"));
  writeFileSync(join(dir, "clean/a.txt"), "hello\n");
  writeFileSync(join(dir, "clean/docs.md"), "AKIAIOSFODNN7EXAMPLE\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("keyfence scan", () => {
  it("scans a directory recursively, skipping .git and node_modules, surviving symlink loops", async () => {
    const r = await keyfence([join(dir, "tree")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`app.env:2:19: live-candidate ${KEY.slice(0, 4)}…${KEY.slice(-4)}`);
    expect(r.stdout).toContain("docs.md:1:5: example");
    expect(r.stdout).not.toContain("node_modules");
    expect(r.stdout).not.toContain(".git");
    expect(r.stdout).not.toContain(KEY);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it("exits 0 when only examples are found", async () => {
    const r = await keyfence([join(dir, "clean")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1 finding(s), 0 live or temporary");
  });

  it("reads stdin with - (through the real entry point)", () => {
    const r = keyfenceChild(["-", "--format", "json"], { input: `x\n\n  ${KEY2}\nsession secret: ${SECRET2}\n` });
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as { findings: Array<Record<string, unknown>> };
    expect(j.findings).toEqual([
      expect.objectContaining({ path: "-", line: 3, column: 3, kind: "temporary", redacted: `ASIA…${KEY2.slice(-4)}`, paired: true }),
    ]);
    expect(r.stdout).not.toContain(KEY2);
    expect(r.stdout).not.toContain(SECRET2);
    expect(keyfenceChild(["-"], { input: "clean\n" }).code).toBe(0);
  });

  it("prints key and secret only with --show-secrets", async () => {
    const r = await keyfence(["--show-secrets", "--format=json", join(dir, "tree/app.env")]);
    const f = (JSON.parse(r.stdout) as { findings: Array<Record<string, unknown>> }).findings[0]!;
    expect(f.keyId).toBe(KEY);
    expect(f.secret).toBe(SECRET);
    expect((await keyfence(["--show-secrets", join(dir, "tree/app.env")])).stdout).toContain(SECRET);
  });

  it("exits 2 with a message on usage errors and unreadable roots", async () => {
    const bad = await keyfence(["--nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option '--nope'");
    expect((await keyfence(["--format", "xml"])).code).toBe(2);
    const missing = await keyfence([join(dir, "does-not-exist")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read");
  });

  it("reports unreadable files on stderr and goes on; the scan then fails unless a live key was found", async () => {
    // /proc/self/mem cannot be read from its start, even by root (EIO): an unreadable file anywhere.
    const unreadable = "/proc/self/mem";
    const alone = await keyfence([unreadable]);
    expect(alone.stderr).toContain(`cannot read ${unreadable}: EIO`);
    expect(alone.code).toBe(2);
    writeFileSync(join(dir, "example-only.env"), "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n");
    expect((await keyfence([join(dir, "example-only.env"), unreadable])).code).toBe(2);
    expect((await keyfence([join(dir, "example-only.env")])).code).toBe(0);
    const withLive = await keyfence([join(dir, "tree/app.env"), unreadable]);
    expect(withLive.code).toBe(1);
    expect(withLive.stderr).toContain("cannot read");
  });

  it("follows symlinks only within the tree; a dangling one or a loop is noted, not a failure", async () => {
    const t = join(dir, "links");
    mkdirSync(join(t, "d"), { recursive: true });
    writeFileSync(join(t, "d", "app.env"), `AWS_ACCESS_KEY_ID=${KEY}\n`);
    symlinkSync("/", join(t, "root"));
    symlinkSync(join(dir, "tree"), join(t, "elsewhere"));
    symlinkSync("d", join(t, "again"));
    symlinkSync("..", join(t, "d", "up"));
    symlinkSync("/nonexistent", join(t, "dangling"));
    const r = await keyfence(["--format", "json", t]);
    expect(r.code).toBe(1);
    const paths = (JSON.parse(r.stdout) as { findings: Array<{ path: string }> }).findings.map((f) => f.path);
    expect(paths).toEqual([join(t, "again", "app.env")]); // the same directory twice is walked once (by its first name)
    expect(r.stderr).toContain(`${join(t, "root")}: not followed: a symlink to /, outside ${t}`);
    expect(r.stderr).toContain("not followed: a symlink to");
    expect(r.stderr).toContain(`cannot read ${join(t, "dangling")}: ENOENT`);
    rmSync(join(t, "d", "app.env"));
    expect((await keyfence([t])).code).toBe(0);
  });

  it("reads a FIFO named on the command line, and reports overlapping paths once", async () => {
    const fifo = join(dir, "creds.fifo");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const writer = spawn("sh", ["-c", `printf 'AWS_ACCESS_KEY_ID=${KEY}\\n' > '${fifo}'`]);
    const r = keyfenceChild(["--format", "json", fifo]);
    writer.kill();
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { findings: unknown[] }).findings).toHaveLength(1);
    const tree = join(dir, "tree");
    const once = await keyfence(["--format", "json", tree, `${tree}/`, join(tree, "app.env"), join(tree, ".", "sub", "..")]);
    const twice = (JSON.parse(once.stdout) as { findings: Array<{ path: string; line: number }> }).findings;
    expect(new Set(twice.map((f) => `${f.path}:${f.line}`)).size).toBe(twice.length);
    expect(twice.length).toBe((JSON.parse((await keyfence(["--format", "json", tree])).stdout) as { findings: unknown[] }).findings.length);
  });

  it("prints a file name with a newline or a terminal escape in it on one line", async () => {
    const odd = join(dir, "odd");
    mkdirSync(odd);
    writeFileSync(join(odd, "a\nb\x1b[31m.env"), `AWS_ACCESS_KEY_ID=${KEY}\n`);
    const r = await keyfence([odd]);
    expect(r.stdout).toContain("a\\x0ab\\x1b[31m.env:1:19: live-candidate");
    expect(r.stdout.split("\n").filter(Boolean)).toHaveLength(2);
  });

  it("exits 2 with a message when the report cannot be written", () => {
    const full = openSync("/dev/full", "w");
    const r = spawnSync(TSX, [MAIN, "scan", join(dir, "tree/app.env")], { stdio: ["pipe", full, "pipe"], encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
    closeSync(full);
    expect(r.stderr).toContain("cannot write the report: ENOSPC");
    expect(r.status).toBe(2);
  });

  it("emits SARIF 2.1.0 that code scanning accepts", async () => {
    const r = await keyfence(["--format", "sarif", join(dir, "tree")], { cwd: dir });
    const s = JSON.parse(r.stdout);
    expect(s.version).toBe("2.1.0");
    expect(s.$schema).toMatch(/sarif-2\.1\.0/);
    const run = s.runs[0];
    expect(run.tool.driver.name).toBe("keyfence");
    expect(run.tool.driver.rules.map((x: { id: string }) => x.id)).toEqual(["aws-access-key", "aws-temporary-key", "aws-example-key"]);
    const res = run.results.find((x: { ruleId: string }) => x.ruleId === "aws-access-key");
    expect(res.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: "tree/app.env" },
      region: { startLine: 2, startColumn: 19, endColumn: 39 },
    });
    expect(res.partialFingerprints["keyfence/v1"]).toMatch(/^[0-9a-f]{32}$/);
    expect(res.level).toBe("error");
    expect(r.stdout).not.toContain(KEY);
    expect(r.stdout).not.toContain(SECRET);
  });

  it("gives SARIF paths relative to the repository root, wherever it is run from", async () => {
    const repo = join(dir, "sarif-repo");
    mkdirSync(join(repo, "sub", "deeper"), { recursive: true });
    git(repo, "init", "-q");
    writeFileSync(join(repo, "sub", "deeper", "k.env"), `AWS_ACCESS_KEY_ID=${KEY}\n`);
    const r = await keyfence(["--format", "sarif", "."], { cwd: join(repo, "sub") });
    const uris = JSON.parse(r.stdout).runs[0].results.map((x: { locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }) => x.locations[0]!.physicalLocation.artifactLocation.uri);
    expect(uris).toEqual(["sub/deeper/k.env"]);
  });

  it("--staged scans the index, not the working tree, with staged line numbers", async () => {
    const repo = newRepo(join(dir, "repo"));
    writeFileSync(join(repo, "README"), "hi\n");
    git(repo, "add", "README");
    git(repo, "commit", "-qm", "init");
    expect((await keyfence(["--staged"], { cwd: repo })).code).toBe(0);
    writeFileSync(join(repo, "config.ini"), `[a]\n\n\nkey = ${KEY}\nsecret = ${SECRET}\n`);
    git(repo, "add", "config.ini");
    writeFileSync(join(repo, "config.ini"), "[a]\n"); // working tree no longer has it
    writeFileSync(join(repo, "untracked.env"), `k=${KEY2}\n`);
    const r = await keyfence(["--staged", "--format", "json"], { cwd: repo });
    expect(r.code).toBe(1);
    const fs = (JSON.parse(r.stdout) as { findings: Array<Record<string, unknown>> }).findings;
    expect(fs).toEqual([expect.objectContaining({ path: "config.ini", line: 4, column: 7, paired: true })]);
  });

  it("--history finds keys that were deleted, with the commit that added them", async () => {
    const repo = newRepo(join(dir, "hist"));
    writeFileSync(join(repo, "a.env"), `ID=${KEY}\nSECRET=${SECRET}\n`);
    git(repo, "add", ".");
    git(repo, "commit", "-qm", "oops");
    const sha = git(repo, "rev-parse", "HEAD").trim();
    git(repo, "rm", "-q", "a.env");
    git(repo, "commit", "-qm", "remove");
    const r = await keyfence(["--history", "--format", "json"], { cwd: repo });
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { findings: unknown[] }).findings).toEqual([
      expect.objectContaining({ path: "a.env", line: 1, column: 4, commit: sha }),
    ]);
  });

  it("--history finds a key added only by a merge's conflict resolution, at the merge commit", async () => {
    const repo = newRepo(join(dir, "merge"));
    writeFileSync(join(repo, "app.env"), "REGION=eu-west-1\nMODE=a\n");
    git(repo, "add", ".");
    git(repo, "commit", "-qm", "base");
    git(repo, "checkout", "-qb", "feature");
    writeFileSync(join(repo, "app.env"), "REGION=eu-west-1\nMODE=feature\n");
    git(repo, "commit", "-qam", "feature");
    git(repo, "checkout", "-q", "main");
    writeFileSync(join(repo, "app.env"), "REGION=eu-west-1\nMODE=main\n");
    git(repo, "commit", "-qam", "main");
    // Both sides changed MODE: a conflict, resolved with a line neither side has.
    expect(spawnSync("git", ["merge", "-q", "feature"], { cwd: repo, encoding: "utf8" }).status).not.toBe(0);
    writeFileSync(join(repo, "app.env"), `REGION=eu-west-1\nMODE=merged\nAWS_ACCESS_KEY_ID=${KEY2}\nAWS_SECRET_ACCESS_KEY=${SECRET2}\n`);
    git(repo, "add", "app.env");
    git(repo, "commit", "-qm", "merge feature");
    const merge = git(repo, "rev-parse", "HEAD").trim();
    expect(git(repo, "rev-list", "--parents", "-n1", "HEAD").trim().split(" ")).toHaveLength(3);
    for (const parent of ["HEAD^1", "HEAD^2"]) expect(git(repo, "show", `${parent}:app.env`)).not.toContain(KEY2.slice(0, 8));
    // An evil merge too: a clean merge whose commit also adds a file.
    git(repo, "checkout", "-qb", "other", "HEAD~1");
    writeFileSync(join(repo, "notes.txt"), "notes\n");
    git(repo, "add", ".");
    git(repo, "commit", "-qm", "notes");
    git(repo, "checkout", "-q", "main");
    git(repo, "merge", "-q", "--no-ff", "--no-commit", "other");
    writeFileSync(join(repo, "deploy.ini"), `[prod]\naws_access_key_id = ${KEY}\naws_secret_access_key = ${SECRET}\n`);
    git(repo, "add", "deploy.ini");
    git(repo, "commit", "-qm", "merge other");
    const evil = git(repo, "rev-parse", "HEAD").trim();
    const r = await keyfence(["--history", "--format", "json"], { cwd: repo });
    expect(r.code).toBe(1);
    const fs = (JSON.parse(r.stdout) as { findings: Array<Record<string, unknown>> }).findings;
    expect(fs).toEqual([
      expect.objectContaining({ path: "app.env", line: 3, column: 19, commit: merge, redacted: `ASIA…${KEY2.slice(-4)}`, paired: true }),
      expect.objectContaining({ path: "deploy.ini", line: 2, column: 21, commit: evil, paired: true }),
    ]);
  });
});

/** scanPaths in this process: its findings in report order, and the paths it warned about. */
async function poolScan(tree: string, opts: PoolOptions) {
  const found: Array<Record<string, unknown>> = [];
  const warned: string[] = [];
  const r = await scanPaths([tree], { findings: (fs) => found.push(...fs.map((f) => ({ ...f }))), warn: (p) => warned.push(p) }, opts);
  found.sort((a, b) => String(a.path).localeCompare(String(b.path)) || Number(a.line) - Number(b.line) || Number(a.column) - Number(b.column));
  return { ...r, found, warned: warned.sort() };
}

describe("keyfence scan with helper threads", () => {
  // Helpers read and prefilter (big files block by block); files that pass come back to the main
  // thread. The same tree scanned by the main thread alone must give the same report.
  it("finds the same, on the same lines, as the main thread alone", async () => {
    const tree = join(dir, "many");
    let planted = 0;
    for (let i = 0; i < 150; i++) {
      const sub = join(tree, `d${i % 7}`);
      mkdirSync(sub, { recursive: true });
      const body = `line ${i}\n`.repeat(50 + i);
      const extra =
        i % 37 === 5
          ? `AWS_ACCESS_KEY_ID=${KEY}\nAWS_SECRET_ACCESS_KEY=${SECRET}\n`
          : i % 41 === 7
            ? `token: ${Buffer.from(`id=${KEY2}`).toString("base64")}\n`
            : i === 99
              ? "see AKIAIOSFODNN7EXAMPLE\n"
              : "";
      if (extra) planted++;
      writeFileSync(join(sub, `f${i}.txt`), body + extra + body);
    }
    // Over the 16 MiB read whole: prefiltered in blocks by a helper, streamed by the main thread.
    const big = join(tree, "d0", "big.log");
    writeFileSync(big, "");
    truncateSync(big, 17 << 20);
    appendFileSync(big, `\nk=${KEY2}\n`);
    symlinkSync("/nonexistent/file", join(tree, "d3", "dangling"));
    const alone = await poolScan(tree, { threads: 1 });
    const helped = await poolScan(tree, { threads: 3, claimHere: false });
    expect(alone.found.length).toBe(planted + 1);
    expect(alone.found).toContainEqual(expect.objectContaining({ path: big, line: 2, column: 3, redacted: `ASIA…${KEY2.slice(-4)}` }));
    expect(helped.found).toEqual(alone.found);
    expect(helped.warned).toEqual(alone.warned);
    expect(helped.warned.join()).toContain("dangling");
    // Helpers really did the work: the main thread scanned only the files they handed back.
    expect(alone.scannedHere).toBe(alone.files);
    expect(helped.files).toBe(alone.files);
    expect(helped.scannedHere).toBeGreaterThan(0);
    expect(helped.scannedHere).toBeLessThan(helped.files / 2);
    // The CLI on the same tree reports the same findings.
    const cli = keyfenceChild(["--format", "json", tree], { env: { KEYFENCE_THREADS: "2" } });
    expect(cli.code).toBe(1);
    expect((JSON.parse(cli.stdout) as { findings: unknown[] }).findings).toHaveLength(planted + 1);
    expect(cli.stderr).toContain("dangling");
  }, 60_000);
});

describe("keyfence scan via src/cli/main.ts", () => {
  it("is wired as the scan command", () => {
    const r = keyfenceChild([join(dir, "tree/app.env")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("live-candidate");
  });
});
