import { createServer, type Server as HttpServer } from "node:http";
import { pathToFileURL } from "node:url";
import { pino, type Logger } from "pino";
import { createNodeMiddleware, createProbot } from "probot";
import { keyfenceApp, jobHandlers } from "./app.js";
import { AwsGateway } from "./aws/gateway.js";
import { loadSettings, type Settings } from "./config/settings.js";
import { loadQueueSettings, openQueue, type JobQueue } from "./jobs/index.js";
import { attachMetrics, instrumentOctokit, metrics, metricsContentType, renderMetrics } from "./metrics/index.js";
import type { Deps } from "./pipeline/context.js";
import { Store } from "./store/index.js";
import { sql } from "kysely";
import { startReconciler } from "./pipeline/reconcile.js";
import { installationOctokit } from "./github/auth.js";

export interface Keyfence {
  url: string;
  settings: Settings;
  store: Store;
  queue: JobQueue;
  aws: AwsGateway;
  close(): Promise<void>;
}

/**
 * Starts keyfence from the environment: Probot's variables (APP_ID, PRIVATE_KEY or
 * PRIVATE_KEY_PATH, WEBHOOK_SECRET, GHE_HOST, GHE_PROTOCOL), the AWS SDK's, and keyfence's own
 * (see config/settings.ts).
 */
export async function startKeyfence(opts: { env?: NodeJS.ProcessEnv; log?: Logger } = {}): Promise<Keyfence> {
  const env = opts.env ?? process.env;
  const settings = loadSettings(env);
  const queueSettings = loadQueueSettings(env);
  const log = opts.log ?? pino({ level: settings.logLevel, name: "keyfence" });
  const store = await Store.open(settings);
  const queue = await openQueue(store, settings.databaseUrl, log, queueSettings);
  const aws = new AwsGateway(settings);
  attachMetrics({ store, queue, aws });
  const probot = createProbot({ env, overrides: { log } });
  const base = { settings: { ...settings, jobTimeoutMs: queueSettings.timeoutSeconds * 1000 }, store, aws, queue, log };
  const deps: Deps = {
    ...base,
    // A token that ran out (401) is refreshed and the request tried again (src/github/auth.ts).
    github: async (id) => instrumentOctokit(await installationOctokit(probot, id)) as Awaited<ReturnType<Deps["github"]>>,
    githubApp: async () => instrumentOctokit(await probot.auth()) as Awaited<ReturnType<Deps["githubApp"]>>,
  };

  const webhooks = await createNodeMiddleware(keyfenceApp(base), { probot });
  let closing = false;
  /** Ready only when a trivial store query answers and the queue can take jobs. */
  const health = async (): Promise<{ ok: boolean; store: boolean; queue: boolean }> => {
    const check = (p: () => Promise<unknown>) =>
      Promise.race([p().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref())]).catch(() => false);
    const [s, q] = await Promise.all([check(() => sql`select 1`.execute(store.db)), check(async () => (await queue.ready()) || Promise.reject())]);
    return { ok: s && q && !closing, store: s, queue: q };
  };
  const server: HttpServer = createServer(async (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path === "/healthz") {
      const h = await health();
      res.writeHead(h.ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(h));
      return;
    }
    if (path === "/metrics" && req.method === "GET") {
      res.writeHead(200, { "content-type": metricsContentType }).end(await renderMetrics());
      return;
    }
    if (path === "/api/github/webhooks") {
      const event = String(req.headers["x-github-event"] ?? "unknown");
      res.once("finish", () => metrics.webhooks.inc({ event, status: String(res.statusCode) }));
    }
    await webhooks(req, res, () => {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ message: "Not Found" }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.port, settings.host, resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : settings.port;
  const url = `http://${settings.host === "0.0.0.0" ? "127.0.0.1" : settings.host}:${port}`;
  await queue.start(jobHandlers(deps));
  // Missed webhooks: failed deliveries redelivered, refs swept (once now, then periodically).
  const reconciler = startReconciler(deps, env);
  log.info({ url, store: store.isPostgres ? "postgres" : "sqlite", queue: queue.engine }, "keyfence listening");

  return {
    url,
    settings,
    store,
    queue,
    aws,
    async close() {
      closing = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await reconciler.stop();
      await queue.stop();
      await store.close();
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  startKeyfence().then(
    (kf) => {
      const stop = () => void kf.close().then(() => process.exit(0));
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
    },
    (err: unknown) => {
      console.error(`keyfence: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
