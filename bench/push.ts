// `npm run bench -- push`: webhook received → key Inactive, over real HTTP, with the simulators
// answering every call after a fixed latency. Compared with the floor: the latencies of the calls
// that must happen one after the other (read the commit → confirm the account (the user lookup runs
// alongside) → deactivate).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAppProcess } from "../src/sim/app-process.js";
import { startWorld } from "../src/sim/world.js";

const SEQUENTIAL_CALLS = ["GET commit (GitHub)", "sts:GetAccessKeyInfo ∥ iam:GetAccessKeyLastUsed", "iam:UpdateAccessKey"];

export async function push(args: string[]): Promise<void> {
  const quick = args.includes("--quick");
  const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 50);
  const pushes = Number(process.env.BENCH_PUSHES ?? (quick ? 30 : 300));
  const world = await startWorld();
  const dir = mkdtempSync(join(tmpdir(), "keyfence-bench-push-"));
  const app = await startAppProcess({ ...world.env, KEYFENCE_DB: join(dir, "kf.db"), KEYFENCE_MIRRORS: join(dir, "mirrors") });
  world.github.setWebhookUrl(`${app.url}/api/github/webhooks`);
  const { github, aws, org, repo } = world;
  try {
    // The repository's first push creates its branch (read with git); the measured ones are ordinary pushes.
    await github.push(org, repo, { branch: "main", pusher: "dave", commits: [{ message: "init", files: { "README.md": "hi\n" } }] });
    await github.idle();
    github.setLatency(latencyMs);
    aws.setLatency(latencyMs);

    const latencies: number[] = [];
    const floors: number[] = [];
    const phases: Array<[number, number]> = [];
    const gh0 = github.requests.length;
    const aws0 = aws.calls.length;
    for (let i = 0; i < pushes; i++) {
      const user = `bench-${i}`;
      aws.addUser(world.workloadAccount, user);
      const k = aws.createAccessKey(world.workloadAccount, user);
      github.setLatency(0); // the push itself is not measured
      await github.push(org, repo, {
        branch: "main",
        pusher: "dave",
        commits: [{ message: `config ${i}`, files: { [`cfg/${i}.env`]: `AWS_ACCESS_KEY_ID=${k.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${k.secretAccessKey}\n` } }],
      });
      github.setLatency(latencyMs);
      const redacted = `${k.accessKeyId.slice(0, 4)}…${k.accessKeyId.slice(-4)}`;
      const done = await app.waitForLog((r) => r.msg === "key deactivated" && r.key === redacted, 60_000);
      const received = app
        .records()
        .filter((r) => r.msg === "webhook queued" && r.type === "push" && Number(r.time) <= Number(done.time))
        .at(-1)!;
      const [t0, t1] = [Number(received.time), Number(done.time)];
      latencies.push(t1 - t0);
      floors.push(servedFloor(github.requests, aws.calls, t0, t1));
      const found = app.records().find((r) => r.msg === "credential found" && r.key === redacted)!;
      phases.push([Number(found.time) - Number(received.time), Number(done.time) - Number(found.time)]);
      // Let the issue and check run finish so the next push is measured on a quiet app.
      await app.waitForLog((r) => r.msg === "issue opened" && r.key === redacted, 60_000);
    }
    const ghCalls = github.requests.slice(gh0).filter((r) => r.path.startsWith("/api/")).length;
    const awsCalls = aws.calls.length - aws0;
    const q = (p: number) => pct(latencies, p);
    // The GitHub simulator also spends time of its own on a commit (it runs git): the floor counts the
    // commit call as long as the simulator really took to answer it.
    const commitCalls = github.requests.slice(gh0).filter((r) => r.method === "GET" && /\/commits\/[0-9a-f]{40}$/.test(r.path));
    const commitMs = commitCalls.map((r) => r.durationMs).sort((a, b) => a - b)[Math.floor(commitCalls.length / 2)] ?? latencyMs;
    const floor = Math.round(commitMs + (SEQUENTIAL_CALLS.length - 1) * latencyMs);
    console.log(`pushes: ${pushes}, simulated latency per call: ${latencyMs} ms (the simulator's commit call takes ${Math.round(commitMs)} ms in all)`);
    console.log(`floor (calls that must follow one another: ${SEQUENTIAL_CALLS.join(" → ")}): ${floor} ms`);
    console.log(`webhook received → key Inactive: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${Math.max(...latencies)} ms`);
    console.log(`p99 − floor: ${q(0.99) - floor} ms; p99 / floor: ${(q(0.99) / floor).toFixed(2)}`);
    // The simulators' own time varies from push to push (git runs for the commit call): each push also has
    // its own floor, the sequential calls as they were really served to it, and keyfence's overhead is the rest.
    const byPush = latencies.map((l, i) => l - floors[i]);
    const worst = byPush.map((o, i) => ({ o, i })).sort((a, b) => b.o - a.o).slice(0, 3);
    const overhead = [...byPush].sort((a, b) => a - b);
    const oq = (p: number) => overhead[Math.min(overhead.length - 1, Math.floor(p * overhead.length))];
    console.log(`per-push floor (sequential calls as served): p50 ${pct(floors, 0.5)} ms, p99 ${pct(floors, 0.99)} ms`);
    console.log(`keyfence's own time (latency − that push's floor): p50 ${oq(0.5)} ms, p99 ${oq(0.99)} ms, max ${overhead.at(-1)} ms (slowest: ${worst.map((w) => `push #${w.i + 1} ${w.o} ms [found after ${phases[w.i][0]}, inactive ${phases[w.i][1]} later, floor ${floors[w.i]}]`).join(", ")}) (target: p99 ≤ 50 ms → ${oq(0.99) <= 50 ? "met" : "NOT met"})`);
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`  of which, medians: received → key found ${median(phases.map((p) => p[0]))} ms, found → Inactive ${median(phases.map((p) => p[1]))} ms`);
    console.log(`calls per push (whole flow incl. issue and check run): GitHub ${(ghCalls / pushes).toFixed(1)}, AWS ${(awsCalls / pushes).toFixed(1)}`);
  } finally {
    await app.kill();
    await world.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

/** The push's sequential calls as the simulators served them: commit read, then the slower of the two owner lookups, then the deactivation. */
function servedFloor(
  gh: Array<{ method: string; path: string; at: Date; durationMs: number }>,
  aws: Array<{ action: string; at: Date; durationMs: number }>,
  from: number,
  to: number,
): number {
  const within = (startMs: number) => startMs >= from && startMs <= to;
  const commit = gh.filter((r) => r.method === "GET" && /\/commits\/[0-9a-f]{40}$/.test(r.path) && within(r.at.getTime()));
  const awsIn = (action: string) => aws.filter((c) => c.action === action && within(c.at.getTime() - c.durationMs));
  const longest = (xs: Array<{ durationMs: number }>) => Math.max(0, ...xs.map((x) => x.durationMs));
  // The first lookup in an account also assumes keyfence's role there (its credentials are then cached).
  const lastUsed = longest(awsIn("AssumeRole")) + longest(awsIn("GetAccessKeyLastUsed"));
  return longest(commit) + Math.max(longest(awsIn("GetAccessKeyInfo")), lastUsed) + longest(awsIn("UpdateAccessKey"));
}
