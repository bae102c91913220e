import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** keyfence running as its own process (as `npm start` runs it), with its log lines collected. */
export interface AppProcess {
  url: string;
  /** Every line the process wrote, stdout and stderr. */
  lines: string[];
  /** Parsed JSON log records (pino). */
  records(): Array<Record<string, unknown>>;
  waitForLog(match: (r: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  child: ChildProcess;
}

const here = dirname(fileURLToPath(import.meta.url));

/** The server entry: the built one next to this file, or the TypeScript source through tsx. */
function entry(): string[] {
  const js = join(here, "..", "server.js");
  if (existsSync(js)) return [js];
  return ["--import", "tsx", join(here, "..", "server.ts")];
}

export async function startAppProcess(env: Record<string, string>, opts: { port?: number } = {}): Promise<AppProcess> {
  const childEnv = { ...process.env, ...env, PORT: String(opts.port ?? 0), HOST: "127.0.0.1" } as NodeJS.ProcessEnv;
  childEnv.LOG_LEVEL ??= "info";
  const child = spawn(process.execPath, entry(), {
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const onData = (buf: Buffer, rest: { s: string }) => {
    rest.s += buf.toString("utf8");
    const parts = rest.s.split("\n");
    rest.s = parts.pop() ?? "";
    lines.push(...parts.filter(Boolean));
    for (const w of waiters) w();
  };
  const out = { s: "" };
  const err = { s: "" };
  child.stdout!.on("data", (b: Buffer) => onData(b, out));
  child.stderr!.on("data", (b: Buffer) => onData(b, err));
  let exited: number | null = null;
  child.on("exit", (code) => {
    exited = code ?? -1;
    for (const w of waiters) w();
  });

  const records = () =>
    lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });

  const waitForLog = (match: (r: Record<string, unknown>) => boolean, timeoutMs = 20_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const hit = records().find(match);
        if (hit) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        } else if (exited !== null) {
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`keyfence exited (${exited}):\n${lines.slice(-20).join("\n")}`));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for a keyfence log line:\n${lines.slice(-20).join("\n")}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  const listening = await waitForLog((r) => r.msg === "keyfence listening", 30_000);
  return {
    url: String(listening.url),
    lines,
    records,
    waitForLog,
    child,
    kill: (signal = "SIGTERM") =>
      new Promise<void>((resolve) => {
        if (exited !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill(signal);
      }),
  };
}
