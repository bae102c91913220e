import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateRepo, type GeneratedRepo } from "../../src/sim/repo-generator.js";
import { scanHistory, type HistoryResult } from "../../src/sources/history.js";

const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

describe("history engine on a generated repository", () => {
  let dir: string;
  let repo: GeneratedRepo;
  let result: HistoryResult;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "kf-history-"));
    repo = await generateRepo(join(dir, "repo.git"), { seed: 7, commits: 300, files: 40 });
    result = await scanHistory(repo.dir);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is deterministic: the same seed gives the same commits", async () => {
    const again = await generateRepo(join(dir, "again.git"), { seed: 7, commits: 300, files: 40 });
    expect(git(again.dir, "rev-parse", "main")).toBe(git(repo.dir, "rev-parse", "main"));
    expect(again.planted).toEqual(repo.planted);
  }, 60_000);

  it("finds every planted key, at every path it was committed under, and nothing else", () => {
    const found = new Set(result.findings.map((f) => `${f.keyId} ${f.path}`));
    const want = new Set(repo.planted.flatMap((k) => k.paths.map((p) => `${k.keyId} ${p}`)));
    expect([...found].sort()).toEqual([...want].sort());
    expect(result.findings.every((f) => f.secret)).toBe(true);
    expect(result.unreachable).toEqual([]);
  });

  it("attributes each key to the commit that introduced it, with author, date and line", () => {
    for (const f of result.findings) {
      // The introducing commit holds the key at that path and line; its parent (if any) does not hold that blob there.
      const text = git(repo.dir, "show", `${f.commitSha}:${f.path}`);
      expect(text.split("\n")[f.line - 1]).toContain(f.keyId);
      const parents = git(repo.dir, "rev-list", "--parents", "-n1", f.commitSha).split(" ").slice(1);
      for (const p of parents) {
        let before = "";
        try {
          before = git(repo.dir, "show", `${p}:${f.path}`);
        } catch {
          /* the path did not exist */
        }
        expect(before.includes(f.keyId)).toBe(false);
      }
      expect(f.author).toMatch(/\w+ \w+/);
      expect(f.authorEmail).toMatch(/@example\.org$/);
      expect(new Date(f.date).getTime()).toBeGreaterThan(0);
    }
  });

  it("covers the hard cases: removed, renamed, side branch only, one blob at two paths, many edits", () => {
    const by = (how: string) => repo.planted.find((k) => k.how === how)!;
    const at = (how: string) => result.findings.filter((f) => f.keyId === by(how).keyId);
    // added then removed: gone at HEAD, still found.
    expect(() => git(repo.dir, "grep", "-q", by("added-then-removed").keyId, "main")).toThrow();
    expect(at("added-then-removed")).toHaveLength(1);
    // renamed: once under each name, the second at the rename commit.
    expect(at("renamed").map((f) => f.path).sort()).toEqual([...by("renamed").paths].sort());
    // side branch only: not on main.
    const side = at("side-branch")[0]!;
    expect(git(repo.dir, "branch", "--contains", side.commitSha)).toContain("experiment/cache");
    expect(git(repo.dir, "branch", "--contains", side.commitSha)).not.toMatch(/\bmain\b/);
    // one blob, two paths, one commit.
    const shared = at("shared-blob");
    expect(shared.map((f) => f.path).sort()).toEqual([...by("shared-blob").paths].sort());
    expect(new Set(shared.map((f) => f.blob)).size).toBe(1);
    expect(new Set(shared.map((f) => f.commitSha)).size).toBe(1);
    // edited many times: one finding, at the first commit.
    expect(at("many-edits")).toHaveLength(1);
    // a binary file around it.
    expect(at("binary-neighbour")).toHaveLength(1);
  });

  it("reads each blob once", () => {
    const blobs = Number(git(repo.dir, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype)").split("\n").filter((t) => t === "blob").length);
    expect(result.blobs).toBe(blobs);
  });

  it("gives the same answer with one reader or several, large blobs streamed, and the walk parsed as a stream", async () => {
    const one = await scanHistory(repo.dir, { parallel: 1 });
    const streamed = await scanHistory(repo.dir, { parallel: 3, wholeBlobLimit: 1024, earlyWalk: false });
    const key = (r: HistoryResult) => r.findings.map((f) => `${f.keyId} ${f.path} ${f.line} ${f.commitSha}`).sort();
    expect(key(one)).toEqual(key(result));
    expect(key(streamed)).toEqual(key(result));
  });
});

describe("history engine reading packs directly", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "kf-history-packs-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("settles most blobs from a deltified pack and finds exactly what cat-file finds", async () => {
    const repo = await generateRepo(join(dir, "repo.git"), { seed: 11, commits: 300, files: 40 });
    git(repo.dir, "repack", "-adfq");
    const viaPacks = await scanHistory(repo.dir);
    const viaCatFile = await scanHistory(repo.dir, { packs: false });
    const key = (r: HistoryResult) => r.findings.map((f) => `${f.keyId} ${f.path} ${f.line} ${f.commitSha}`).sort();
    expect(key(viaPacks)).toEqual(key(viaCatFile));
    expect(viaPacks.blobs).toBe(viaCatFile.blobs);
    expect(viaPacks.fromPacks).toBeGreaterThan(viaPacks.blobs * 0.8);
    const want = new Set(repo.planted.flatMap((k) => k.paths.map((p) => `${k.keyId} ${p}`)));
    expect(new Set(viaPacks.findings.map((f) => `${f.keyId} ${f.path}`))).toEqual(want);
  }, 60_000);

  it("finds a rotated key whose first characters the delta copies from the old one", async () => {
    const work = join(dir, "rotate");
    const env = { ...process.env, GIT_AUTHOR_NAME: "Eve", GIT_AUTHOR_EMAIL: "eve@example.org", GIT_COMMITTER_NAME: "Eve", GIT_COMMITTER_EMAIL: "eve@example.org" };
    const g = (...args: string[]) => execFileSync("git", args, { cwd: work, encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"] }).trim();
    execFileSync("git", ["init", "-q", "-b", "main", work]);
    const filler = Array.from({ length: 200 }, (_, i) => `setting_${i} = value number ${i * 7919} for the service`).join("\n");
    // Same account, so the two IDs share their first characters: the delta copies "…= AKIAQWERTYZX".
    const old = { id: "AKIAQWERTYZXMNBV2345", secret: "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" };
    const rotated = { id: "AKIAQWERTYZXPLKJ6789", secret: "Zk3jd8Hn2LmQp9Rt5Vw7Xy1Ab4Cd6Ef8Gh0Ij2Kl" };
    const body = (k: typeof old) => `${filler}\naws_access_key_id = ${k.id}\naws_secret_access_key = ${k.secret}\n${filler}\n`;
    writeFileSync(join(work, "settings.ini"), body(old));
    g("add", ".");
    g("commit", "-qm", "settings");
    writeFileSync(join(work, "settings.ini"), body(rotated));
    g("commit", "-qam", "rotate");
    writeFileSync(join(work, "settings.ini"), `${filler}\n${filler}\n`);
    g("commit", "-qam", "remove");
    g("repack", "-adfq");
    const r = await scanHistory(work);
    expect(r.findings.map((f) => f.keyId).sort()).toEqual([old.id, rotated.id].sort());
  }, 30_000);
});

describe("history engine on a small hand-made clone", () => {
  it("finds a key in a working clone, a tag-only commit and a pull-request ref, and reports a dangling blob apart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kf-history-clone-"));
    try {
      const env = { GIT_AUTHOR_NAME: "Eve", GIT_AUTHOR_EMAIL: "eve@example.org", GIT_COMMITTER_NAME: "Eve", GIT_COMMITTER_EMAIL: "eve@example.org" };
      const g = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8", env: { ...process.env, ...env } }).trim();
      g("init", "-q", "-b", "main");
      writeFileSync(join(dir, "README.md"), "hello\n");
      g("add", ".");
      g("commit", "-qm", "init");
      const k1 = "AKIAQWERTYZXCVBN2345";
      const s1 = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzKEYabcd";
      writeFileSync(join(dir, "creds.txt"), `aws_access_key_id=${k1}\naws_secret_access_key=${s1}\n`);
      g("add", ".");
      g("commit", "-qm", "oops");
      const pr = g("rev-parse", "HEAD");
      g("update-ref", "refs/pull/7/head", pr);
      g("reset", "-q", "--hard", "HEAD~1");
      g("reflog", "expire", "--expire=now", "--all");
      // A blob no ref reaches.
      const dangling = execFileSync("git", ["hash-object", "-w", "--stdin"], { cwd: dir, input: `id=AKIAMNBVCXZLKJHG7654\nsecret=${s1.split("").reverse().join("")}\n` }).toString().trim();
      const r = await scanHistory(dir);
      expect(r.findings.map((f) => [f.keyId, f.path, f.commitSha])).toEqual([[k1, "creds.txt", pr]]);
      expect(r.unreachable.map((f) => f.blob)).toEqual([dangling]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
