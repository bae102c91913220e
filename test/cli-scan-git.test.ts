// `keyfence scan --staged` and `--history` on real git repositories built in a temporary directory.
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, truncateSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KEY, SECRET, makeKeyId, makeSecret } from "./detect/helpers.js";
import { git, keyfence, newRepo } from "./helpers/scan-cli.js";
import { scanHistory, scanStaged } from "../src/cli/scan-git.js";
import type { Reported } from "../src/cli/report/types.js";

/** The findings of a `--format json` run. */
const findings = (stdout: string) => (JSON.parse(stdout) as { findings: Array<Record<string, unknown>> }).findings;

/** Calls scan-git.ts directly (for what scan.ts does not pass on yet: every path), from `cwd`. */
async function direct(fn: typeof scanStaged, paths: string[], cwd: string): Promise<Reported[]> {
  const found: Reported[] = [];
  const here = process.cwd();
  process.chdir(cwd);
  try {
    await fn(paths, (fs) => found.push(...fs));
  } finally {
    process.chdir(here);
  }
  return found;
}

let dir: string;
const KEY2 = makeKeyId("ASIA", 210987654321n);
const SECRET2 = makeSecret(99);
const ENV = `AWS_ACCESS_KEY_ID=${KEY}\nAWS_SECRET_ACCESS_KEY=${SECRET}\n`;

/** A new repository with one commit (README). */
function repo(name: string): string {
  const r = newRepo(join(dir, name));
  writeFileSync(join(r, "README"), "hi\n");
  git(r, "add", "README");
  git(r, "commit", "-qm", "init");
  return r;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "keyfence-scan-git-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("keyfence scan --staged", () => {
  it("scans a file that replaced a symlink (a type change, T)", async () => {
    const r = repo("typechange");
    symlinkSync("README", join(r, "link.env"));
    git(r, "add", "link.env");
    git(r, "commit", "-qm", "link");
    unlinkSync(join(r, "link.env"));
    writeFileSync(join(r, "link.env"), ENV);
    git(r, "add", "link.env");
    expect(git(r, "diff", "--cached", "--name-status")).toBe("T\tlink.env\n");
    const out = await keyfence(["--staged", "--format", "json"], { cwd: r });
    expect(out.code).toBe(1);
    expect(findings(out.stdout)).toEqual([expect.objectContaining({ path: "link.env", line: 1, column: 19, paired: true })]);
  });

  it("scans files whose names hold ':' or a newline, or are not UTF-8", async () => {
    const r = repo("names");
    writeFileSync(join(r, "x.env"), "clean\n");
    git(r, "add", "x.env");
    git(r, "commit", "-qm", "x");
    writeFileSync(join(r, "1:x.env"), ENV);
    writeFileSync(join(r, "a\nb.env"), `k=${KEY2}\n`);
    writeFileSync(Buffer.concat([Buffer.from(join(r, "caf")), Buffer.from([0xe9]), Buffer.from(".env")]), `k=${KEY2}\n`);
    git(r, "add", "-A");
    const out = await keyfence(["--staged", "--format", "json"], { cwd: r });
    expect(out.code).toBe(1);
    const fs = findings(out.stdout).map((f) => f.path);
    expect(fs).toEqual(["1:x.env", "a\nb.env", "caf\uFFFD.env"]);
  });

  it("scans a staged blob of 40 MiB to its very end (streamed, not concatenated chunk by chunk)", async () => {
    const r = repo("big");
    const line = "the quick brown fox jumps over the lazy dog 0123456789\n";
    const lines = Math.ceil((40 << 20) / line.length);
    writeFileSync(join(r, "big.log"), line.repeat(lines) + `AWS_ACCESS_KEY_ID=${KEY2}\nAWS_SECRET_ACCESS_KEY=${SECRET2}`);
    git(r, "add", "big.log");
    const out = await keyfence(["--staged", "--format", "json"], { cwd: r });
    expect(out.code).toBe(1);
    expect(findings(out.stdout)).toEqual([expect.objectContaining({ path: "big.log", line: lines + 1, column: 19, paired: true })]);
  }, 60_000);

  it("with paths, scans only the staged entries under them; a missing path is an error", async () => {
    const r = repo("paths");
    mkdirSync(join(r, "sub"));
    writeFileSync(join(r, "top.env"), ENV);
    writeFileSync(join(r, "sub/clean.txt"), "clean\n");
    writeFileSync(join(r, "pc.env"), `k=${KEY2}\n`);
    git(r, "add", "-A");
    // `sub` alone holds no key, though the index does.
    expect(await keyfence(["--staged", "sub"], { cwd: r })).toMatchObject({ code: 0, stderr: "" });
    // From a subdirectory: paths are relative to it, findings to the repository's root.
    expect(await keyfence(["--staged", "clean.txt"], { cwd: join(r, "sub") })).toMatchObject({ code: 0, stderr: "" });
    // As pre-commit calls a hook: file names.
    const out = await keyfence(["--staged", "--format", "json", "pc.env", "README"], { cwd: r });
    expect(out).toMatchObject({ code: 1, stderr: "" });
    expect(findings(out.stdout)).toEqual([expect.objectContaining({ path: "pc.env" })]);
    // Every path counts (scan.ts passes only the first one on for now: see scanStaged).
    expect((await direct(scanStaged, ["sub", "top.env"], r)).map((f) => f.path)).toEqual(["top.env"]);
    expect((await direct(scanStaged, ["../top.env"], join(r, "sub"))).map((f) => f.path)).toEqual(["top.env"]);
    expect((await direct(scanStaged, [], join(r, "sub"))).map((f) => f.path).sort()).toEqual(["pc.env", "top.env"]);
    const missing = await keyfence(["--staged", "nope.env"], { cwd: r });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no such file or directory: nope.env");
  });
});

describe("keyfence scan --history", () => {
  it("names blobs over 256 MiB it did not scan, and fails unless it found a live key", async () => {
    const r = repo("huge");
    writeFileSync(join(r, "disk.img"), "");
    truncateSync(join(r, "disk.img"), (256 << 20) + 1);
    git(r, "-c", "core.compression=1", "add", "disk.img");
    git(r, "commit", "-qm", "image");
    rmSync(join(r, "disk.img"));
    const sha = git(r, "rev-parse", "HEAD").trim();
    for (const packed of [false, true]) {
      if (packed) git(r, "-c", "core.compression=1", "repack", "-adq");
      const out = await keyfence(["--history"], { cwd: r });
      expect(out.code).toBe(2);
      expect(out.stderr).toContain(`over the 256 MiB limit (268435457 bytes): blob `);
      expect(out.stderr).toContain(`disk.img (commit ${sha.slice(0, 12)})`);
    }
    writeFileSync(join(r, "a.env"), ENV);
    git(r, "add", "a.env");
    git(r, "commit", "-qm", "key");
    const out = await keyfence(["--history", "--format", "json"], { cwd: r });
    expect(out.code).toBe(1);
    expect(findings(out.stdout)).toEqual([expect.objectContaining({ path: "a.env" })]);
    expect(out.stderr).toContain("disk.img");
  }, 60_000);

  it("warns of keys in objects no ref reaches", async () => {
    const r = repo("dangling");
    writeFileSync(join(dir, "loose.env"), ENV);
    const blob = git(r, "hash-object", "-w", join(dir, "loose.env")).trim();
    const out = await keyfence(["--history"], { cwd: r });
    expect(out.code).toBe(0);
    expect(out.stderr).toContain(`no ref reaches, not reported: blob ${blob}`);
  });

  it("takes one path, the repository, and says clearly when it is not there", async () => {
    const r = repo("onepath");
    writeFileSync(join(r, "a.env"), ENV);
    git(r, "add", "a.env");
    git(r, "commit", "-qm", "key");
    expect((await keyfence(["--history", r], { cwd: dir })).code).toBe(1);
    const missing = await keyfence(["--history", join(dir, "nope")], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no such file or directory: ${join(dir, "nope")}`);
    const file = await keyfence(["--history", "README"], { cwd: r });
    expect(file.code).toBe(2);
    expect(file.stderr).toContain("not a directory: README");
    await expect(direct(scanHistory, [r, r], dir)).rejects.toThrow("--history takes one path, the repository (got 2)");
  });

  it("scans a bare repository, and warns that a shallow clone holds only some commits", async () => {
    const r = repo("origin");
    writeFileSync(join(r, "a.env"), ENV);
    git(r, "add", "a.env");
    git(r, "commit", "-qm", "key");
    const sha = git(r, "rev-parse", "HEAD").trim();
    git(r, "rm", "-q", "a.env");
    git(r, "commit", "-qm", "remove");
    git(dir, "clone", "-q", "--bare", r, join(dir, "bare.git"));
    const bare = await keyfence(["--history", "--format", "json", "bare.git"], { cwd: dir });
    expect(bare).toMatchObject({ code: 1, stderr: "" });
    expect(findings(bare.stdout)).toEqual([expect.objectContaining({ path: "a.env", commit: sha })]);
    // From inside the bare repository too.
    expect((await keyfence(["--history"], { cwd: join(dir, "bare.git") })).code).toBe(1);
    git(dir, "clone", "-q", "--depth", "1", `file://${r}`, join(dir, "shallow"));
    const shallow = await keyfence(["--history"], { cwd: join(dir, "shallow") });
    expect(shallow.code).toBe(0);
    expect(shallow.stderr).toContain("shallow clone: only the commits present were scanned");
  });
});
