import { createServer, type Server as HttpServer } from "node:http";
import { pathToFileURL } from "node:url";
import { pino, type Logger } from "pino";
import { createNodeMiddleware, createProbot } from "probot";
import { keyfenceApp, jobHandlers } from "./app.js";
import { AwsGateway } from "./aws/gateway.js";
import { loadSettings, type Settings } from "./config/settings.js";
import { JobQueue } from "./jobs/queue.js";
import type { Deps } from "./pipeline/context.js";
import { Store } from "./store/index.js";

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
  const log = opts.log ?? pino({ level: settings.logLevel, name: "keyfence" });
  const store = await Store.open(settings);
  const queue = new JobQueue(store, log);
  const aws = new AwsGateway(settings);
  const probot = createProbot({ env, overrides: { log } });
  const base = { settings, store, aws, queue, log };
  const deps: Deps = { ...base, github: (id) => probot.auth(id) as ReturnType<Deps["github"]> };

  const webhooks = await createNodeMiddleware(keyfenceApp(base), { probot });
  const server: HttpServer = createServer(async (req, res) => {
    if (req.url === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
      return;
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
  queue.start(jobHandlers(deps));
  log.info({ url }, "keyfence listening");

  return {
    url,
    settings,
    store,
    queue,
    aws,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
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
