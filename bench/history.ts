// The `history` scenario: keyfence's whole-history scan (every distinct blob once, then only the
// blobs with a key traced to their commits) against `git log -p --all > /dev/null` — the floor for
// any scanner that diffs every commit — and `git secrets --scan-history`, on the same generated
// repository (src/sim/repo-generator.ts: thousands of commits, keys added then removed, renamed,
// only on a side branch, shared by two paths). Prints the three figures and the ratios.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generateRepo, type PlantedKey } from "../src/sim/repo-generator.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DATA = join(ROOT, "bench/.data/history");
/** Bump when the generator's output changes, so the cached repository is made again. */
const GENERATION = 2;

interface Manifest {
  generation: number;
  commits: number;
  files: number;
  seed: number;
  planted: PlantedKey[];
}

async function ensureRepo(commits: number, files: number): Promise<{ dir: string; manifest: Manifest }> {
  const dir = join(DATA, `repo-${commits}.git`);
  const mf = join(DATA, `repo-${commits}.json`);
  if (existsSync(mf)) {
    const m = JSON.parse(readFileSync(mf, "utf8")) as Manifest;
    if (m.generation === GENERATION && m.files === files && existsSync(join(dir, "HEAD"))) return { dir, manifest: m };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(DATA, { recursive: true });
  process.stdout.write(`generating ${commits} commits over ${files} files (once; cached in bench/.data/history)…\n`);
  const r = await generateRepo(dir, { seed: 1, commits, files });
  // As GitHub serves it to a mirror clone: one pack, blobs stored as deltas of each other.
  spawnSync("git", ["repack", "-adfq"], { cwd: dir, stdio: "inherit" });
  const manifest: Manifest = { generation: GENERATION, commits: r.commits, files, seed: 1, planted: r.planted };
  writeFileSync(mf, JSON.stringify(manifest, null, 1));
  return { dir, manifest };
}

/** Wall time, and CPU time (user + system, children included) when /usr/bin/time is there. */
function timed(cmd: string, args: string[], cwd: string): Promise<{ seconds: number; cpu: number; stdout: string; stderr: string; code: number }> {
  return new Promise((res, rej) => {
    const useTime = existsSync("/usr/bin/time");
    const t0 = performance.now();
    const p = useTime ? spawn("/usr/bin/time", ["-f", "\n%U %S", cmd, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] }) : spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on("data", (d: Buffer) => out.push(d));
    p.stderr.on("data", (d: Buffer) => err.push(d));
    p.on("error", rej);
    p.on("close", (code) => {
      const seconds = (performance.now() - t0) / 1000;
      let stderr = Buffer.concat(err).toString();
      let cpu = NaN;
      if (useTime) {
        const m = /\n([\d.]+) ([\d.]+)\n?$/.exec(stderr);
        if (m) {
          cpu = Number(m[1]) + Number(m[2]);
          stderr = stderr.slice(0, m.index);
        }
      }
      res({ seconds, cpu, stdout: Buffer.concat(out).toString(), stderr, code: code ?? -1 });
    });
  });
}

const has = (bin: string) => spawnSync("sh", ["-c", `command -v ${bin}`]).status === 0;
const best = (xs: number[]) => (xs.length ? Math.min(...xs) : NaN);

async function bundle(): Promise<string> {
  const { build } = await import("esbuild");
  const entry = join(DATA, "history-entry.mjs");
  const outfile = join(DATA, "history.mjs");
  writeFileSync(
    entry,
    `import { scanHistory } from ${JSON.stringify(join(ROOT, "src/sources/history.ts"))};\n` +
      `const r = await scanHistory(process.argv[2]);\n` +
      `process.stdout.write(JSON.stringify({ blobs: r.blobs, bytes: r.bytes, findings: r.findings.map((f) => ({ keyId: f.keyId, path: f.path, commit: f.commitSha, line: f.line })) }));\n`,
  );
  await build({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", target: "node20", outfile, logLevel: "error" });
  return outfile;
}

export async function history(args: string[]): Promise<void> {
  const quick = args.includes("--quick");
  const commits = quick ? 1000 : 4000;
  const runs = quick ? 1 : 5;
  const { dir, manifest } = await ensureRepo(commits, quick ? 200 : 400);
  const pack = spawnSync("git", ["count-objects", "-v"], { cwd: dir }).stdout.toString();
  const packMiB = Number(/size-pack: (\d+)/.exec(pack)?.[1] ?? 0) / 1024;
  const nCommits = spawnSync("git", ["rev-list", "--all", "--count"], { cwd: dir }).stdout.toString().trim();
  process.stdout.write(`repository: ${nCommits} commits, ${packMiB.toFixed(1)} MiB pack, ${manifest.planted.length} planted keys (${dir})\n`);

  // The three are run in interleaved rounds, so a busy machine weighs on each alike; the best
  // round of each is kept (the usual estimate of a command's cost on a noisy machine).
  const js = await bundle();
  const kf: number[] = [];
  const kfCpu: number[] = [];
  const floor: number[] = [];
  const floorCpu: number[] = [];
  const secrets: number[] = [];
  const secretsCpu: number[] = [];
  let secretsNote = "";
  let secretsKeys = 0;
  let result: { blobs: number; bytes: number; findings: Array<{ keyId: string; path: string; commit: string }> } | undefined;
  const copy = join(DATA, `secrets-${commits}.git`);
  if (has("git-secrets")) {
    if (!existsSync(join(copy, "HEAD"))) {
      spawnSync("git", ["clone", "--quiet", "--mirror", dir, copy]);
      spawnSync("git", ["secrets", "--register-aws"], { cwd: copy });
    }
  } else {
    secretsNote = "git-secrets not installed (apt-get install git-secrets): skipped";
  }
  for (let i = 0; i < runs; i++) {
    const r = await timed(process.execPath, [js, dir], ROOT);
    if (r.code !== 0) throw new Error(`keyfence history scan failed: ${r.stderr}`);
    kf.push(r.seconds);
    kfCpu.push(r.cpu);
    result = JSON.parse(r.stdout);
    const g = await timed("sh", ["-c", "git log -p --all > /dev/null"], dir);
    floor.push(g.seconds);
    floorCpu.push(g.cpu);
    if (!secretsNote) {
      const sr = await timed("git", ["secrets", "--scan-history"], copy);
      secrets.push(sr.seconds);
      secretsCpu.push(sr.cpu);
      secretsKeys = new Set((sr.stdout + sr.stderr).match(/AKIA[A-Z0-9]{16}/g) ?? []).size;
    }
  }
  const found = new Set(result!.findings.map((f) => `${f.keyId} ${f.path}`));
  const missed = manifest.planted.flatMap((k) => k.paths.filter((p) => !found.has(`${k.keyId} ${p}`)).map((p) => `${k.how} ${p}`));
  const plantedIds = new Set(manifest.planted.map((k) => k.keyId));
  const extra = result!.findings.filter((f) => !plantedIds.has(f.keyId));

  const k = best(kf);
  const f = best(floor);
  const s = secrets.length ? best(secrets) : NaN;
  const fmt = (x: number) => (Number.isNaN(x) ? "     -" : x.toFixed(2).padStart(6));
  const row = (name: string, secs: number, cpu: number, note: string) => `  ${name.padEnd(32)} ${fmt(secs)} s  ${fmt(cpu)} s   ${note}\n`;
  process.stdout.write(`best of ${runs} interleaved round(s); load average now ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} core(s)\n`);
  process.stdout.write(`  ${"".padEnd(32)}   wall     cpu\n`);
  process.stdout.write(row("keyfence history scan", k, best(kfCpu), `${result!.blobs} blobs (${(result!.bytes / 1048576).toFixed(0)} MiB), each read once; ${found.size} key/path findings`));
  process.stdout.write(row("git log -p --all > /dev/null", f, best(floorCpu), "the floor for diff-based scanners"));
  process.stdout.write(row("git secrets --scan-history", s, secrets.length ? best(secretsCpu) : NaN, secretsNote || `${secretsKeys} distinct key IDs reported`));
  process.stdout.write(`ratios: keyfence / git-log-floor = ${(k / f).toFixed(2)} (${k < f ? "below" : "ABOVE"} the floor)`);
  if (!Number.isNaN(s)) process.stdout.write(`; git-secrets / keyfence = ${(s / k).toFixed(1)}× (${s / k >= 5 ? "meets" : "MISSES"} the 5× target)`);
  process.stdout.write("\n");
  const kc = best(kfCpu);
  const fc = best(floorCpu);
  const sc = secretsCpu.length ? best(secretsCpu) : NaN;
  if (!Number.isNaN(kc) && !Number.isNaN(fc)) {
    process.stdout.write(`cpu ratios: keyfence / git-log-floor = ${(kc / fc).toFixed(2)}`);
    if (!Number.isNaN(sc)) process.stdout.write(`; git-secrets / keyfence = ${(sc / kc).toFixed(1)}×`);
    process.stdout.write("\n");
  }
  const hows = [...new Set(manifest.planted.map((p) => p.how))].join(", ");
  process.stdout.write(
    missed.length === 0
      ? `every planted key found (${manifest.planted.length} keys at ${manifest.planted.reduce((n, p) => n + p.paths.length, 0)} paths: ${hows})${extra.length ? `; ${extra.length} unexpected` : ""}\n`
      : `MISSED ${missed.length}: ${missed.join("; ")}\n`,
  );
  if (missed.length) process.exitCode = 1;
}
