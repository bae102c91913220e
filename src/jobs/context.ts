import { AsyncLocalStorage } from "node:async_hooks";

/** The job a piece of work runs for: its type, attempt and when it was queued (≈ when its webhook arrived). */
export interface JobInfo {
  id: number | string;
  type: string;
  /** 1 for the first run, 2 for the first retry… */
  attempts: number;
  /** ms since the epoch. */
  enqueuedAt: number;
}

const current = new AsyncLocalStorage<JobInfo>();

export function runInJob<T>(info: JobInfo, fn: () => Promise<T>): Promise<T> {
  return current.run(info, fn);
}

/** The job the caller runs in, if any. */
export function currentJob(): JobInfo | undefined {
  return current.getStore();
}

/** Seconds since the current job was queued, or undefined outside a job. */
export function secondsSinceQueued(): number | undefined {
  const j = current.getStore();
  return j ? (Date.now() - j.enqueuedAt) / 1000 : undefined;
}
