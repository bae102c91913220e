import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { keyfenceLanes, PgBossQueue, StoreQueue, type JobHandler, type JobQueue } from "../../src/jobs/index.js";
import { currentJob } from "../../src/jobs/context.js";
import { NotYet } from "../../src/jobs/not-yet.js";
import type { Store } from "../../src/store/index.js";
import { engines, until, type Engine, type QueueOpts } from "./engines.js";

// The job queue's contract, on each engine: SQLite with the store's own queue, PostgreSQL with
// pg-boss. Several store and queue instances on one database stand for several processes.
describe.each(engines)("job queue: $name", (kind) => {
  let engine: Engine;
  const stores: Store[] = [];
  const queues: JobQueue[] = [];
  beforeEach(async () => {
    engine = await kind.create();
  });
  afterEach(async () => {
    for (const q of queues.splice(0)) await q.stop();
    for (const s of stores.splice(0)) await s.close();
    await engine.drop();
  });
  /** A "process": its own store connection and queue on the shared database. */
  const proc = async (opts: QueueOpts = {}) => {
    const store = await engine.openStore();
    stores.push(store);
    const queue = await engine.openQueue(store, opts);
    queues.push(queue);
    return { store, queue };
  };

  it("runs each job once; a dedupe key drops a duplicate, even after the first finished and from another process", async () => {
    const seen: number[] = [];
    const { queue: q } = await proc();
    const { queue: other } = await proc();
    expect(await q.enqueue("t", { n: 1 }, { dedupeKey: "a" })).toBe(true);
    expect(await other.enqueue("t", { n: 1 }, { dedupeKey: "a" })).toBe(false);
    await q.enqueue("t", { n: 2 });
    // Two processes racing with the same key: one wins.
    const raced = await Promise.all([q.enqueue("t", { n: 3 }, { dedupeKey: "b" }), other.enqueue("t", { n: 3 }, { dedupeKey: "b" })]);
    expect(raced.filter(Boolean)).toHaveLength(1);
    const kinds: Array<string | undefined> = [];
    await q.start({
      t: async (p: { n: number }) => {
        seen.push(p.n);
        kinds.push(currentJob()?.type);
      },
    });
    await until(async () => seen.length === 3 && (await q.pending()) === 0);
    expect(seen.sort()).toEqual([1, 2, 3]);
    expect(kinds).toEqual(["t", "t", "t"]);
    // A redelivery long after the job is done still queues nothing.
    expect(await other.enqueue("t", { n: 1 }, { dedupeKey: "a" })).toBe(false);
    expect(await q.pending()).toBe(0);
  });

  it("retries a failing job with backoff and dead-letters it after its attempts", async () => {
    const flaky: number[] = [];
    let broken = 0;
    const { store, queue: q } = await proc({ maxAttempts: 2, retryDelaySeconds: 1 });
    await q.enqueue("flaky", { what: "flaky" });
    await q.enqueue("broken", { what: "broken" });
    await q.start({
      flaky: async () => {
        flaky.push(Date.now());
        if (flaky.length < 2) throw new Error("transient");
      },
      broken: async () => {
        broken++;
        throw new Error("always");
      },
    });
    await until(async () => (await q.dead()) === 1 && (await q.pending()) === 0);
    expect(flaky).toHaveLength(2);
    expect(flaky[1]! - flaky[0]!).toBeGreaterThanOrEqual(900); // backed off, not retried at once
    expect(broken).toBe(2);
    if (q instanceof PgBossQueue) {
      expect(await q.deadLetters()).toEqual([{ type: "broken", payload: { what: "broken" }, dedupeKey: undefined, error: "always" }]);
    } else {
      const jobs = await store.db.selectFrom("jobs").selectAll().orderBy("id").execute();
      expect(jobs.map((j) => [j.type, j.state, Number(j.attempts), j.last_error])).toEqual([
        ["flaky", "done", 2, "transient"],
        ["broken", "dead", 2, "always"],
      ]);
    }
  });

  it("runs a job that waits on another worker (NotYet) again later, without using up its attempts", async () => {
    const runs: Array<{ at: number; attempts: number }> = [];
    const { queue: q } = await proc({ maxAttempts: 2, retryDelaySeconds: 5 });
    await q.enqueue("waiting", {});
    await q.start({
      waiting: async (_p, job) => {
        runs.push({ at: Date.now(), attempts: job.attempts });
        if (runs.length < 5) throw new NotYet("held elsewhere", 100);
      },
    });
    await until(async () => runs.length === 5 && (await q.pending()) === 0);
    expect(await q.dead()).toBe(0);
    // Four waits with two attempts in all: none of them counted, and none waited a retry's backoff.
    expect(runs.map((r) => r.attempts)).toEqual([1, 1, 1, 1, 1]);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.at - runs[i - 1]!.at).toBeGreaterThanOrEqual(90);
    expect(runs[4]!.at - runs[0]!.at).toBeLessThan(4_000);
  });

  it("keeps queued jobs across a restart", async () => {
    const first = await proc();
    await first.queue.enqueue("t", { n: 1 }, { dedupeKey: "k1" });
    await first.queue.enqueue("t", { n: 2 }, { delayMs: 300 });
    await first.queue.stop();
    await first.store.close();
    queues.splice(queues.indexOf(first.queue), 1);
    stores.splice(stores.indexOf(first.store), 1);

    const seen: number[] = [];
    const { queue: again } = await proc();
    expect(await again.enqueue("t", { n: 1 }, { dedupeKey: "k1" })).toBe(false);
    await again.start({ t: async (p: { n: number }) => void seen.push(p.n) });
    await until(() => seen.length === 2);
    expect(seen.sort()).toEqual([1, 2]);
  });

  it("hands the job of a worker that died to another worker", async () => {
    const dying = await proc({ timeoutSeconds: 1 });
    let started = false;
    await dying.queue.enqueue("t", { n: 1 });
    await dying.queue.start({
      t: () => {
        started = true;
        return new Promise(() => {}); // never finishes: the worker "dies" holding it
      },
    });
    await until(() => started);
    // Killed: it takes nothing more and reports nothing (for pg-boss: its connections are gone).
    (dying.queue as unknown as { stopped: boolean }).stopped = true;
    if (dying.queue instanceof PgBossQueue) await (dying.queue as unknown as { boss: { stop(o: object): Promise<void> } }).boss.stop({ graceful: false, close: true });
    queues.splice(queues.indexOf(dying.queue), 1);

    const ran: Array<{ attempts: number }> = [];
    const { queue: other } = await proc({ timeoutSeconds: 1 });
    const handler: JobHandler = async (_p, job) => void ran.push({ attempts: job.attempts });
    await other.start({ t: handler });
    await until(() => ran.length === 1);
    expect(ran[0]!.attempts).toBe(2);
    await until(async () => (await other.pending()) === 0);
  });

  it("spreads jobs across workers of several processes without running any twice", async () => {
    const runs = new Map<number, number>();
    const by = new Map<number, number>();
    const a = await proc({ concurrency: 2 });
    const b = await proc({ concurrency: 2 });
    for (let i = 0; i < 40; i++) await a.queue.enqueue("t", { i }, { dedupeKey: `t${i}` });
    const handler = (w: number) => async (p: { i: number }) => {
      runs.set(p.i, (runs.get(p.i) ?? 0) + 1);
      by.set(w, (by.get(w) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 20));
    };
    await a.queue.start({ t: handler(1) });
    await b.queue.start({ t: handler(2) });
    await until(async () => runs.size === 40 && (await a.queue.pending()) === 0);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(by.get(1)).toBeGreaterThan(0);
    expect(by.get(2)).toBeGreaterThan(0);
  });

  it("takes containment first: pushes before reports, reports before backfills, whatever order they were queued in", async () => {
    const { queue: q } = await proc({ concurrency: 1, lanes: keyfenceLanes(1) });
    for (const type of ["backfill-repo", "report", "push", "report", "push"]) await q.enqueue(type, {});
    const ran: string[] = [];
    const handler = (type: string) => async () => void ran.push(type);
    await q.start({ report: handler("report"), "backfill-repo": handler("backfill-repo"), push: handler("push") });
    await until(async () => ran.length === 5 && (await q.pending()) === 0);
    expect(ran).toEqual(["push", "push", "report", "report", "backfill-repo"]);
  });

  it("never lets reports hold every worker: a push queued behind a burst of reports starts at once", async () => {
    const { queue: q } = await proc({ concurrency: 2, lanes: keyfenceLanes(2) });
    let release!: () => void;
    const githubPaced = new Promise<void>((r) => (release = r));
    const started: string[] = [];
    for (let i = 0; i < 3; i++) await q.enqueue("report", { i });
    await q.start({
      report: async () => {
        started.push("report");
        await githubPaced;
      },
      push: async () => void started.push("push"),
    });
    try {
      await until(() => started.length > 0);
      await new Promise((r) => setTimeout(r, 300)); // time enough for a second worker to take a report, if it would
      expect(started).toEqual(["report"]);
      await q.enqueue("push", {});
      await until(() => started.includes("push"), 5_000);
      expect(started).toEqual(["report", "push"]); // while the first report is still held
    } finally {
      release();
    }
    await until(async () => started.length === 4 && (await q.pending()) === 0);
  });

  it("never lets backfills and reports together hold every worker: with 4, a push starts at once", async () => {
    const { queue: q } = await proc({ concurrency: 4, lanes: keyfenceLanes(4) });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const started: string[] = [];
    for (let i = 0; i < 4; i++) await q.enqueue("backfill-repo", { i });
    for (let i = 0; i < 4; i++) await q.enqueue("report", { i });
    const slow = (type: string) => async () => {
      started.push(type);
      await held;
    };
    await q.start({ report: slow("report"), "backfill-repo": slow("backfill-repo"), push: async () => void started.push("push") });
    try {
      await until(() => started.length >= 3);
      await new Promise((r) => setTimeout(r, 300)); // time enough for a fourth slow job to start, if one would
      expect(started.filter((t) => t === "report")).toHaveLength(2);
      expect(started.filter((t) => t === "backfill-repo")).toHaveLength(1);
      await q.enqueue("push", {});
      await until(() => started.includes("push"), 5_000);
    } finally {
      release();
    }
    await until(async () => started.length === 9 && (await q.pending()) === 0);
  });

  it("is ready while open and says so", async () => {
    const { queue } = await proc();
    await queue.start({});
    expect(await queue.ready()).toBe(true);
    expect(queue.engine).toBe(kind.name.startsWith("sqlite") ? "store" : "pg-boss");
    expect(queue instanceof StoreQueue || queue instanceof PgBossQueue).toBe(true);
  });
});
