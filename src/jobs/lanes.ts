/**
 * Which waiting job a free worker takes first, and how many jobs of a type one process runs at
 * once. Both queues (StoreQueue, PgBossQueue) follow it.
 */
export interface JobLanes {
  /** Waiting jobs of a lower rank are taken first; within a rank, the one due first. */
  rank(type: string): number;
  /** The most jobs of this type one process runs at once (Infinity: only the concurrency bounds it). */
  limit(type: string): number;
}

/** Every type alike: the job due first is taken first. */
export const sameLane: JobLanes = { rank: () => 0, limit: () => Number.POSITIVE_INFINITY };

/**
 * keyfence's lanes: containment first. Pushes, ref sweeps, commands and rotations are taken before
 * reports, reports before backfills. A report (a push's issues and check run) mostly waits for
 * GitHub, which spaces an installation's writes about a second apart, so reports never hold more
 * than half the workers: a push that arrives during a burst of reports finds a free worker at once.
 * A backfill job scans a whole repository (minutes): backfills take what reports leave but one, so
 * that with 3 workers or more one is always free for a push. (With one worker, a report or a
 * backfill still runs only when no push is waiting; with two, both may run at once.)
 */
export function keyfenceLanes(concurrency: number): JobLanes {
  const reports = Math.max(1, Math.floor(concurrency / 2));
  const backfills = Math.max(1, concurrency - reports - 1);
  return {
    rank: (type) => (type === "report" ? 1 : type.startsWith("backfill") ? 2 : 0),
    limit: (type) => (type === "report" ? reports : type.startsWith("backfill") ? backfills : Number.POSITIVE_INFINITY),
  };
}
