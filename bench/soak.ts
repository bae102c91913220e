// The `soak` scenario: 10 000 signed webhooks over loopback to one keyfence process (as `npm start`
// runs it, SQLite store, simulators behind it), a mix of clean pushes and pushes with a leaked key,
// sent as fast as the process acknowledges them (a closed loop of concurrent senders). Prints the
// sustained rate, the acknowledgement times (p50/p99/max) and keyfence's memory at start and end,
// then (with --drain) how long the queue takes to work off the backlog and the memory after.
// `--quick`: 1 000 webhooks. `--count=N`, `--concurrency=N` override.
import { createHmac, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { startAppProcess } from "../src/sim/app-process.js";
import { startWorld } from "../src/sim/world.js";

const flag = (args: string[], name: string, dflt: number) => {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split("=")[1]) : dflt;
};

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export async function soak(args: string[]): Promise<void> {
  const count = flag(args, "count", args.includes("--quick") ? 1000 : 10_000);
  const concurrency = flag(args, "concurrency", 32);
  const drain = args.includes("--drain");
  const world = await startWorld();
  const dir = mkdtempSync(join(tmpdir(), "keyfence-soak-"));
  const dbPath = join(dir, "keyfence.db");
  const app = await startAppProcess({ ...world.env, KEYFENCE_DB: dbPath, KEYFENCE_MIRRORS: join(dir, "m"), KEYFENCE_RECONCILE: "off" });
  world.github.setWebhookUrl(`${app.url}/api/github/webhooks`);
  try {
    const { github, aws, org, repo } = world;
    // Real pushes give real payloads: one clean, one with a leaked key; the soak replays them under new delivery IDs.
    await github.push(org, repo, { branch: "main", pusher: "dave", commits: [{ message: "clean", files: { "README.md": "hello\n" } }] });
    const k = aws.createAccessKey(world.workloadAccount, world.deployUser);
    await github.push(org, repo, { branch: "main", pusher: "dave", commits: [{ message: "leak", files: { "prod.env": `AWS_ACCESS_KEY_ID=${k.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${k.secretAccessKey}\n` } }] });
    await github.idle();
    const [clean, leak] = github.deliveries.filter((d) => d.event === "push").map((d) => d.body);
    // Warm-up, then the figures.
    const url = `${app.url}/api/github/webhooks`;
    const send = async (body: string) => {
      const t0 = performance.now();
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "push",
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": `sha256=${createHmac("sha256", world.webhookSecret).update(body).digest("hex")}`,
        },
        body,
      });
      await res.arrayBuffer();
      if (res.status >= 300) throw new Error(`webhook answered ${res.status}`);
      return performance.now() - t0;
    };
    for (let i = 0; i < 50; i++) await send(clean!);
    const rssStart = rssMb(app.child.pid!);
    const acks: number[] = [];
    let next = 0;
    let leaks = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const i = next++;
          const isLeak = i % 10 === 0;
          if (isLeak) leaks++;
          acks.push(await send(isLeak ? leak! : clean!));
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const rssEnd = rssMb(app.child.pid!);
    acks.sort((a, b) => a - b);
    const db = new Database(dbPath, { readonly: true });
    const backlog = () => (db.prepare("select count(*) as n from jobs where state in ('queued','running')").get() as { n: number }).n;
    const out = [
      `webhooks           ${count} (${count - leaks} clean pushes, ${leaks} with a leaked key), ${concurrency} concurrent senders`,
      `sustained rate     ${(count / seconds).toFixed(0)} webhooks/s (${seconds.toFixed(1)} s)`,
      `acknowledgement    p50 ${pct(acks, 50).toFixed(1)} ms, p99 ${pct(acks, 99).toFixed(1)} ms, max ${acks.at(-1)!.toFixed(1)} ms`,
      `keyfence memory    ${rssStart.toFixed(0)} MB at start, ${rssEnd.toFixed(0)} MB at the end (${rssEnd - rssStart >= 0 ? "+" : ""}${(rssEnd - rssStart).toFixed(0)} MB)`,
      `jobs queued        ${backlog()} still to run when the last webhook was acknowledged`,
      `key contained      ${aws.key(k.accessKeyId)?.status === "Inactive" ? "yes" : "not yet"}`,
    ];
    process.stdout.write(out.join("\n") + "\n");
    if (drain) {
      const d0 = performance.now();
      while (backlog() > 0) await new Promise((r) => setTimeout(r, 500));
      process.stdout.write(
        `drained            in ${((performance.now() - d0) / 1000).toFixed(1)} s (${(count / ((performance.now() - t0) / 1000)).toFixed(0)} jobs/s end to end); memory ${rssMb(app.child.pid!).toFixed(0)} MB\n`,
      );
    }
    db.close();
  } finally {
    await app.kill("SIGTERM");
    await world.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
