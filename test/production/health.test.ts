import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKeyfence, type Keyfence } from "../../src/server.js";
import { startWorld, type World } from "../../src/sim/world.js";

// One instance on SQLite, in this process: /healthz follows the store and the queue, /metrics
// speaks Prometheus' text format.
describe("/healthz and /metrics", () => {
  let world: World;
  let kf: Keyfence;
  let dir: string;
  beforeAll(async () => {
    world = await startWorld();
    dir = mkdtempSync(join(tmpdir(), "keyfence-health-"));
    kf = await startKeyfence({
      env: { ...world.env, KEYFENCE_DB: join(dir, "kf.db"), KEYFENCE_MIRRORS: join(dir, "mirrors"), KEYFENCE_RECONCILE: "off", PORT: "0", HOST: "127.0.0.1" },
      log: pino({ level: "silent" }),
    });
  });
  afterAll(async () => {
    await kf?.close().catch(() => {});
    await world?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the metrics named keyfence_* in Prometheus text format", async () => {
    // A webhook with a bad signature is still counted, with the status it got.
    await fetch(`${kf.url}/api/github/webhooks`, { method: "POST", headers: { "x-github-event": "push", "content-type": "application/json" }, body: "{}" });
    const res = await fetch(`${kf.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^# TYPE keyfence_containment_latency_seconds histogram$/m);
    expect(text).toMatch(/^keyfence_webhooks_received_total\{event="push",status="4\d\d"\} 1$/m);
    expect(text).toMatch(/^keyfence_job_queue_depth 0$/m);
    expect(text).toMatch(/^keyfence_job_dead_letters 0$/m);
    expect(text).toMatch(/^keyfence_backfill_repositories\{state="pending"\} 0$/m);
    expect(text).toMatch(/^keyfence_aws_requests_total 0$/m);
    expect(text).toMatch(/^keyfence_process_cpu_seconds_total /m);
  });

  it("is ready while the store and the queue are, and not after", async () => {
    const ok = await fetch(`${kf.url}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, store: true, queue: true });
    await kf.queue.stop();
    const noQueue = await fetch(`${kf.url}/healthz`);
    expect(noQueue.status).toBe(503);
    expect(await noQueue.json()).toEqual({ ok: false, store: true, queue: false });
    await kf.store.close();
    expect(await (await fetch(`${kf.url}/healthz`)).json()).toEqual({ ok: false, store: false, queue: false });
  });
});
