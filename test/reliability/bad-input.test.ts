import { execFile, spawn } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactKeyId, scanBytes, scanPatch, scanText } from "../../src/detect/index.js";
import { makeKeyId, makeSecret } from "../detect/helpers.js";
import { envFile, eventually, expectInvariants, expectNoSecret, newKey, settle, startRig, type Rig } from "./harness.js";

const ROOT = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);

describe("the detector on arbitrary input", () => {
  it("never throws on fuzzed bytes, text and patches, and always returns findings it can explain", () => {
    const key = makeKeyId("AKIA", 123456789012n);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.string({ maxLength: 2048 }), (bytes, text) => {
        for (const f of [...scanBytes(bytes), ...scanText(text), ...scanPatch(`@@ -0,0 +1 @@\n+${text}`)]) {
          expect(typeof f.keyId).toBe("string");
          expect(f.line).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
    // A key planted in random bytes is still found (bytes starting with a UTF-16 byte-order mark: see below).
    const bom = (a: Uint8Array) => a.length >= 2 && ((a[0] === 0xfe && a[1] === 0xff) || (a[0] === 0xff && a[1] === 0xfe));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }).filter((a) => !bom(a)), fc.uint8Array({ maxLength: 2048 }), (a, b) => {
        const bytes = Buffer.concat([Buffer.from(a), Buffer.from(`\nAWS_ACCESS_KEY_ID=${key}\n`), Buffer.from(b)]);
        expect(scanBytes(bytes).some((f) => f.keyId === key)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});

// Found by the fuzzer above (seed 373394144): two bytes FE FF (a UTF-16 BE byte-order mark) before an
// ASCII key make the detector read the whole buffer as UTF-16 and miss the key. A file that starts
// with a BOM and goes on in ASCII is broken, but a key in it is still a key. Expected to fail until
// src/detect falls back to the raw bytes when a BOM-decoded buffer is not text; then drop `.fails`.
describe("the detector, known gap", () => {
  it.fails("finds an ASCII key after a UTF-16 byte-order mark", () => {
    const key = makeKeyId("AKIA", 123456789012n);
    for (const bomBytes of [[0xfe, 0xff], [0xff, 0xfe]]) {
      const bytes = Buffer.concat([Buffer.from(bomBytes), Buffer.from(`\nAWS_ACCESS_KEY_ID=${key}\n`)]);
      expect(scanBytes(bytes).some((f) => f.keyId === key)).toBe(true);
    }
  });
});

describe("keyfence scan on hostile trees", () => {
  let dir: string;
  const key = makeKeyId("AKIA", 210987654321n, 0x1234567n);
  const deepKey = makeKeyId("AKIA", 210987654321n, 0x7654321n);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "kf-hostile-"));
    let d = join(dir, "t");
    for (let i = 0; i < 200; i++) d = join(d, "d");
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, "deep.env"), `AWS_ACCESS_KEY_ID=${deepKey}\n`);
    symlinkSync("..", join(dir, "t", "loop"));
    symlinkSync(join(dir, "t"), join(dir, "t", "d", "loop2"));
    symlinkSync("/nonexistent/file", join(dir, "t", "dangling"));
    // A FIFO would block a naive reader forever.
    return run("mkfifo", [join(dir, "t", "fifo")]).then(() => {
      // ~100 MB, sparse, with a key at its very end (the 1 GB case is `npm run bench -- soak`'s sibling: it is the same code path).
      const big = join(dir, "t", "big.bin");
      writeFileSync(big, "");
      truncateSync(big, 100 * 1024 * 1024);
      appendFileSync(big, `\nAWS_ACCESS_KEY_ID=${key}\nAWS_SECRET_ACCESS_KEY=${makeSecret(7)}\n`);
      writeFileSync(join(dir, "t", "garbage.bin"), Buffer.from(Array.from({ length: 1 << 16 }, (_, i) => (i * 7919) & 255)));
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("finds what is there, reports what it cannot read, never crashes, and stays within bounded memory", async () => {
    const child = spawn("/usr/bin/time", ["-f", "MAXRSS_KB=%M", join(ROOT, "node_modules/.bin/tsx"), join(ROOT, "src/cli/main.ts"), "scan", "--format", "json", join(dir, "t")], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b));
    child.stderr.on("data", (b: Buffer) => (stderr += b));
    const code = await new Promise<number | null>((r) => child.on("close", r));
    expect(code, stderr).toBe(1); // live keys found
    const report = JSON.parse(stdout) as unknown;
    const text = JSON.stringify(report);
    expect(text).toContain(redactKeyId(key));
    expect(text).toContain(redactKeyId(deepKey));
    expect(text).not.toContain(makeSecret(7));
    expect(stderr).toMatch(/dangling/);
    expect(stderr).not.toMatch(/at .*\.ts:\d+|TypeError|RangeError|Maximum call stack/);
    const rss = Number(/MAXRSS_KB=(\d+)/.exec(stderr)?.[1]);
    // Bounded: far less than the 100 MB file, whatever its size.
    expect(rss).toBeGreaterThan(0);
    expect(rss).toBeLessThan(400 * 1024);
  }, 90_000);
});

describe("bad webhooks and settings", () => {
  let rig: Rig;
  const leaked: ReturnType<typeof newKey>[] = [];
  const post = (event: string, body: string, sign = true) =>
    fetch(`${rig.app!.url}/api/github/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": randomUUID(),
        ...(sign ? { "x-hub-signature-256": `sha256=${createHmac("sha256", rig.world.webhookSecret).update(body).digest("hex")}` } : {}),
      },
      body,
    });

  beforeAll(async () => {
    rig = await startRig({ KEYFENCE_RECONCILE: "off" });
  });
  afterAll(async () => rig?.close());

  it("malformed, truncated or unknown signed webhooks: answered, nothing queued, keyfence keeps working", async () => {
    const { github, org, repo } = rig.world;
    await github.push(org, repo, { branch: "main", pusher: "dave", commits: [{ message: "init", files: { "a.txt": "a\n" } }] });
    await settle(rig);
    const real = github.deliveries.find((d) => d.event === "push")!.body;
    const jobs = () => rig.query<{ n: number }>("select count(*) as n from jobs")[0]!.n;
    const before = jobs();
    const answers = [
      await post("push", real.slice(0, real.length / 2)),
      await post("push", "{}"),
      await post("push", JSON.stringify({ ref: 42, commits: "nope", repository: null, installation: { id: "x" } })),
      await post("push", "\u0000\u0001garbage"),
      await post("issue_comment", JSON.stringify({ action: "created", comment: null, issue: {}, repository: {}, installation: { id: rig.world.installationId } })),
      await post("sponsorship", JSON.stringify({ action: "created" })),
      await post("not_an_event", "[]"),
    ].map((r) => r.status);
    for (const s of answers) expect(s).toBeLessThan(600);
    expect((await fetch(`${rig.app!.url}/healthz`)).status).toBe(200);
    expect(jobs()).toBe(before);
    // Still working.
    const k = newKey(rig, "after-garbage");
    leaked.push(k);
    await github.push(org, repo, { branch: "main", pusher: "dave", commits: [{ message: "x", files: { "x.env": envFile(k) } }] });
    await eventually(() => rig.world.aws.key(k.accessKeyId)?.status === "Inactive", 30_000);
  });

  it("an invalid .github/keyfence.yml: the safe defaults are used (contain), and the check run says what is wrong", async () => {
    const { github, org, repo } = rig.world;
    // Valid YAML, invalid settings.
    await github.push(org, repo, { branch: "main", pusher: "alice", commits: [{ message: "settings", files: { ".github/keyfence.yml": "mode: sometimes\nignore: 7\nrotate: {permission: everyone}\n" } }] });
    await settle(rig);
    const k = newKey(rig, "badcfg");
    leaked.push(k);
    const { after } = await github.push(org, repo, { branch: "main", pusher: "dave", commits: [{ message: "y", files: { "y.env": envFile(k) } }] });
    await eventually(() => rig.world.aws.key(k.accessKeyId)?.status === "Inactive", 30_000);
    const check = await eventually(() => github.checkRuns(org, repo).find((c) => c.head_sha === after && c.status === "completed"), 30_000);
    expect(JSON.stringify(check.output)).toMatch(/keyfence\.yml/);
    // Not even YAML.
    await github.push(org, repo, { branch: "main", pusher: "alice", commits: [{ message: "settings", files: { ".github/keyfence.yml": "mode: [this is: not valid\n  ignore: 7\n\t- x: {\n" } }] });
    await settle(rig);
    const k2 = newKey(rig, "badcfg2");
    leaked.push(k2);
    await github.push(org, repo, { branch: "main", pusher: "dave", commits: [{ message: "z", files: { "z.env": envFile(k2) } }] });
    await eventually(() => rig.world.aws.key(k2.accessKeyId)?.status === "Inactive", 30_000);
    await github.push(org, repo, { branch: "main", pusher: "alice", commits: [{ message: "settings", files: { ".github/keyfence.yml": "mode: contain\n" } }] });
  });

  // ~2.5 minutes, nearly all of it the simulator building the 2 048-commit payload one git call at a time:
  // run with KEYFENCE_SLOW_TESTS=1 (the CI's nightly job should).
  it.runIf(!!process.env.KEYFENCE_SLOW_TESTS)("a push of 10 000 commits (more than a payload lists) with a key deep inside is found", async () => {
    const { github, org, repo } = rig.world;
    const k = newKey(rig, "tenk");
    leaked.push(k);
    const work = mkdtempSync(join(tmpdir(), "kf-10k-"));
    try {
      const git = (...a: string[]) => run("git", ["-c", "credential.helper=", ...a], { cwd: work, maxBuffer: 1 << 26 });
      await git("init", "-q", "--bare", ".");
      await git("fetch", "-q", github.authedCloneUrl(org, repo, "dave"), "+refs/heads/main:refs/heads/main");
      // fast-import: 10 000 commits, one small file each; the key in commit 1 234.
      const parent = (await git("rev-parse", "refs/heads/main")).stdout.trim();
      let stream = "";
      for (let i = 1; i <= 10_000; i++) {
        const content = i === 1234 ? envFile(k) : `line ${i}\n`;
        const path = i === 1234 ? "deep/in/history.env" : `f/${i % 50}.txt`;
        stream += `commit refs/heads/bulk\nmark :${i}\ncommitter dave <dave@example.invalid> ${1_700_000_000 + i} +0000\ndata ${`c${i}`.length}\nc${i}\n`;
        if (i === 1) stream += `from ${parent}\n`;
        stream += `M 100644 inline ${path}\ndata ${Buffer.byteLength(content)}\n${content}\n`;
      }
      await new Promise<void>((res, rej) => {
        const c = spawn("git", ["fast-import", "--quiet"], { cwd: work, stdio: ["pipe", "ignore", "inherit"] });
        c.on("close", (code) => (code === 0 ? res() : rej(new Error(`fast-import ${code}`))));
        c.stdin.end(stream);
      });
      await git("push", "-q", github.authedCloneUrl(org, repo, "dave"), "refs/heads/bulk:refs/heads/bulk");
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    await github.idle();
    const payload = github.deliveries.filter((d) => d.event === "push").at(-1)!.payload as { commits: unknown[] };
    expect(payload.commits.length).toBeLessThan(10_000);
    await eventually(() => rig.world.aws.key(k.accessKeyId)?.status === "Inactive", 60_000);
    await settle(rig);
  }, 150_000);

  it("ends with every invariant true and no secret written anywhere", async () => {
    await settle(rig);
    await expectInvariants(rig, leaked);
    expectNoSecret(rig.everything(), leaked.map((k) => k.secretAccessKey));
  });
});
