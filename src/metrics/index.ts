import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { JobQueue } from "../jobs/queue.js";
import { jobEvents } from "../jobs/queue.js";
import { currentJob } from "../jobs/context.js";
import type { Store } from "../store/index.js";

/**
 * keyfence's Prometheus metrics (prom-client), served at /metrics. Counters and the histogram
 * count what this process did; the gauges marked "shared" read the shared store and queue, so
 * every replica reports the same value (aggregate them with max, not sum).
 */
export const registry = new Registry();

export const metrics = {
  webhooks: new Counter({
    name: "keyfence_webhooks_received_total",
    help: "Webhook deliveries received, by event and HTTP status answered",
    labelNames: ["event", "status"] as const,
    registers: [registry],
  }),
  findings: new Counter({
    name: "keyfence_findings_total",
    help: "New places a credential was found at, by kind (live-candidate, temporary, example)",
    labelNames: ["kind"] as const,
    registers: [registry],
  }),
  containment: new Histogram({
    name: "keyfence_containment_latency_seconds",
    help: "From the webhook being queued to the leaked key being Inactive",
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  }),
  rotations: new Counter({
    name: "keyfence_rotations_total",
    help: "Rotations finished, by outcome (done, failed)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  }),
  jobs: new Counter({
    name: "keyfence_jobs_total",
    help: "Job attempts run by this process, by type and outcome (done, retry, dead)",
    labelNames: ["type", "outcome"] as const,
    registers: [registry],
  }),
  githubCalls: new Counter({
    name: "keyfence_github_requests_total",
    help: "GitHub API requests, by method and status (status 0: no answer)",
    labelNames: ["method", "status"] as const,
    registers: [registry],
  }),
  githubErrors: new Counter({
    name: "keyfence_github_request_errors_total",
    help: "GitHub API requests that failed (an error status or no answer)",
    registers: [registry],
  }),
};

export interface MetricSources {
  store: Store;
  queue: JobQueue;
  /** The AWS gateway's running totals. */
  aws: { calls: { count: number; errors: number } };
}

let attached: MetricSources | undefined;
let defaultsOn = false;

/** Connects the gauges that read the store, the queue and the AWS gateway. Once per process. */
export function attachMetrics(src: MetricSources): void {
  attached = src;
  if (!defaultsOn) {
    defaultsOn = true;
    collectDefaultMetrics({ register: registry, prefix: "keyfence_" });
    new Gauge({
      name: "keyfence_job_queue_depth",
      help: "Jobs queued, waiting for a retry, or running (shared)",
      registers: [registry],
      async collect() {
        if (attached) this.set(await attached.queue.pending().catch(() => NaN));
      },
    });
    new Gauge({
      name: "keyfence_job_dead_letters",
      help: "Jobs out of attempts, in the dead-letter record (shared)",
      registers: [registry],
      async collect() {
        if (attached) this.set(await attached.queue.dead().catch(() => NaN));
      },
    });
    new Gauge({
      name: "keyfence_backfill_repositories",
      help: "Repositories of backfill runs still running, by state: pending, running, done, failed (shared)",
      labelNames: ["state"] as const,
      registers: [registry],
      async collect() {
        this.reset();
        if (!attached) return;
        try {
          const rows = await attached.store.db
            .selectFrom("backfill_repos")
            .innerJoin("backfill_runs", "backfill_runs.id", "backfill_repos.run_id")
            .where("backfill_runs.state", "=", "running")
            .select(["backfill_repos.state as state", (eb) => eb.fn.countAll<number>().as("n")])
            .groupBy("backfill_repos.state")
            .execute();
          for (const s of ["pending", "running", "done", "failed"]) this.set({ state: s }, 0);
          for (const r of rows) this.set({ state: r.state }, Number(r.n));
        } catch {
          // no backfill tables yet
        }
      },
    });
    // The gateway keeps running totals; the counters follow them.
    const seen = { count: 0, errors: 0 };
    new Counter({
      name: "keyfence_aws_requests_total",
      help: "AWS API requests (IAM, STS, Secrets Manager)",
      registers: [registry],
      collect() {
        const n = attached?.aws.calls.count ?? 0;
        if (n > seen.count) this.inc(n - seen.count);
        seen.count = n;
      },
    });
    new Counter({
      name: "keyfence_aws_request_errors_total",
      help: "AWS API requests that failed",
      registers: [registry],
      collect() {
        const n = attached?.aws.calls.errors ?? 0;
        if (n > seen.errors) this.inc(n - seen.errors);
        seen.errors = n;
      },
    });
    jobEvents.onDone = (type) => metrics.jobs.inc({ type, outcome: "done" });
    jobEvents.onFailed = (type, dead) => metrics.jobs.inc({ type, outcome: dead ? "dead" : "retry" });
  }
}

/** Counts every request an Octokit makes (octokit.hook is Octokit's own extension point). */
export function instrumentOctokit<T extends { hook: { wrap: (name: "request", fn: (req: any, opts: any) => Promise<any>) => void } }>(octokit: T): T {
  if (instrumented.has(octokit)) return octokit;
  instrumented.add(octokit);
  octokit.hook.wrap("request", async (request, options: { method?: string }) => {
    const method = options.method ?? "GET";
    try {
      const res = await request(options);
      metrics.githubCalls.inc({ method, status: String(res.status ?? 200) });
      return res;
    } catch (err) {
      metrics.githubCalls.inc({ method, status: String((err as { status?: number }).status ?? 0) });
      metrics.githubErrors.inc();
      throw err;
    }
  });
  return octokit;
}
const instrumented = new WeakSet<object>();

/** The text /metrics serves. */
export function renderMetrics(): Promise<string> {
  return registry.metrics();
}

export const metricsContentType = registry.contentType;

/** Called when a key was just made Inactive: records the time since its push's webhook was queued. */
export function observeContainment(): void {
  const job = currentJob();
  if (job?.type === "push") metrics.containment.observe((Date.now() - job.enqueuedAt) / 1000);
}
