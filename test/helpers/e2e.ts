import { mkdtempSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAppProcess, type AppProcess } from "../../src/sim/app-process.js";
import { startWorld, type World } from "../../src/sim/world.js";
import { sinkEverything } from "./secret-sweep.js";

export { keyWorks } from "../../src/sim/world.js";

/** The simulators and keyfence as a real process, on random ports, with a fresh SQLite store. */
export interface Harness {
  world: World;
  app: AppProcess;
  dbPath: string;
  /** Everything keyfence wrote or made visible: logs, database files, GitHub-visible text. */
  everything(): string;
  githubText(): string;
  /** Kills keyfence without warning (SIGKILL) and starts it again on the same database. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(extraEnv: Record<string, string> = {}): Promise<Harness> {
  const world = await startWorld();
  const dir = mkdtempSync(join(tmpdir(), "keyfence-e2e-"));
  const dbPath = join(dir, "keyfence.db");
  const env = { ...world.env, KEYFENCE_DB: dbPath, KEYFENCE_MIRRORS: join(dir, "mirrors"), ...extraEnv };
  let app = await startAppProcess(env);
  world.github.setWebhookUrl(`${app.url}/api/github/webhooks`);
  const earlierLines: string[] = [];
  const githubText = () =>
    world.github
      .issues(world.org, world.repo)
      .flatMap((i) => [i.title, i.body, ...i.comments.map((c) => c.body)])
      .concat(world.github.checkRuns(world.org, world.repo).map((c) => JSON.stringify(c)))
      .join("\n");
  return {
    world,
    get app() {
      return app;
    },
    dbPath,
    githubText,
    everything() {
      const db = [dbPath, `${dbPath}-wal`].filter(existsSync).map((f) => readFileSync(f).toString("latin1"));
      return [...earlierLines, app.lines.join("\n"), ...db, githubText()].join("\n");
    },
    async restart() {
      await app.kill("SIGKILL");
      earlierLines.push(...app.lines);
      app = await startAppProcess(env);
      world.github.setWebhookUrl(`${app.url}/api/github/webhooks`);
    },
    async close(this: Harness) {
      // Swept for every secret issued once the suite is over (test/setup/no-secret-sweep.ts).
      if (process.env.KEYFENCE_TEST_LOG_SINK) sinkEverything(process.env.KEYFENCE_TEST_LOG_SINK, this.everything(), world.aws.issuedSecrets());
      if (process.env.E2E_DUMP_LOGS) {
        console.log(app.lines.filter((l) => !/"level":30/.test(l)).join("\n"));
        console.log(JSON.stringify(world.github.issues(world.org, world.repo).map((i) => [i.number, i.state, i.comments.map((c) => c.body.slice(0, 120))]), null, 1));
      }
      await app.kill();
      await world.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}


export async function eventually<T>(fn: () => T | Promise<T>, ms = 60_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

