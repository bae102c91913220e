import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreQueue } from "../../src/jobs/queue.js";
import type { Store } from "../../src/store/index.js";
import { storeKinds } from "../helpers/stores.js";

const log = pino({ level: "silent" });
const until = async (cond: () => boolean | Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
};

// The store-table queue (the SQLite engine) on both stores; test/jobs/ runs the queue contract on each engine.
describe.each(storeKinds)("store job queue on $name", (kind) => {
  let store: Store;
  let drop: () => Promise<void>;
  const queues: StoreQueue[] = [];
  beforeEach(async () => {
    ({ store, drop } = await kind.open());
  });
  afterEach(async () => {
    for (const q of queues.splice(0)) await q.stop();
    await drop();
  });
  const queue = (opts = {}) => {
    const q = new StoreQueue(store, log, { pollMs: 20, backoffMs: () => 10, ...opts });
    queues.push(q);
    return q;
  };

  it("runs each job once, drops a duplicate by its dedupe key", async () => {
    const seen: number[] = [];
    const q = queue();
    expect(await q.enqueue("t", { n: 1 }, { dedupeKey: "a" })).toBe(true);
    expect(await q.enqueue("t", { n: 1 }, { dedupeKey: "a" })).toBe(false);
    await q.enqueue("t", { n: 2 });
    q.start({ t: async (p: { n: number }) => void seen.push(p.n) });
    await until(async () => (await q.pending()) === 0);
    expect(seen.sort()).toEqual([1, 2]);
  });

  it("retries a failing job and ends it dead after its attempts", async () => {
    let calls = 0;
    const q = queue({ maxAttempts: 3 });
    await q.enqueue("flaky", {});
    await q.enqueue("broken", {});
    q.start({
      flaky: async () => {
        if (++calls < 2) throw new Error("transient");
      },
      broken: async () => {
        throw new Error("always");
      },
    });
    await until(async () => (await q.pending()) === 0);
    const jobs = await store.db.selectFrom("jobs").selectAll().orderBy("id").execute();
    expect(jobs.map((j) => [j.type, j.state, Number(j.attempts)])).toEqual([
      ["flaky", "done", 2],
      ["broken", "dead", 3],
    ]);
    expect(jobs[1].last_error).toBe("always");
  });

  it("hands a job whose worker died to another worker after its lease", async () => {
    const dead = queue({ leaseMs: 200 });
    await dead.enqueue("t", {});
    dead.start({ t: () => new Promise(() => {}) }); // never finishes: the worker "died"
    await until(async () => (await store.db.selectFrom("jobs").select("state").executeTakeFirstOrThrow()).state === "running");
    dead["stopped"] = true; // stop claiming, as a killed process would
    queues.splice(queues.indexOf(dead), 1);
    let done = false;
    const other = queue({ leaseMs: 200 });
    other.start({ t: async () => void (done = true) });
    await until(() => done);
  });

  it("spreads jobs across two workers without running any twice", async () => {
    const runs = new Map<number, number>();
    const a = queue({ concurrency: 2 });
    const b = queue({ concurrency: 2 });
    for (let i = 0; i < 40; i++) await a.enqueue("t", { i });
    const handler = async (p: { i: number }) => {
      runs.set(p.i, (runs.get(p.i) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 2));
    };
    a.start({ t: handler });
    b.start({ t: handler });
    await until(async () => (await a.pending()) === 0);
    expect(runs.size).toBe(40);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });
});
