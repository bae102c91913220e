/**
 * Thrown by a job that cannot go on until another worker finishes (it holds the key, the issue
 * or the rotation): the job runs again after `afterMs` without using up an attempt. A worker that
 * died holding a claim could otherwise cost a waiting job all its attempts before the claim
 * lapses. Within NOT_YET_WINDOW_MS of being queued; after that it counts as a failure, so a
 * claim that never ends still ends in the dead-letter record.
 */
export class NotYet extends Error {
  constructor(
    message: string,
    readonly afterMs = 2_000,
  ) {
    super(message);
    this.name = "NotYet";
  }
}

export const NOT_YET_WINDOW_MS = 60 * 60 * 1000;

/** The delay before a job that threw err runs again without losing an attempt, or undefined. */
export function notYetDelay(err: unknown, enqueuedAt: number, now = Date.now()): number | undefined {
  if (!(err instanceof NotYet) || now - enqueuedAt >= NOT_YET_WINDOW_MS) return undefined;
  return Math.max(10, err.afterMs);
}
