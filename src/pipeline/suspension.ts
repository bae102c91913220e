import { isInstallationSuspended } from "../github/errors.js";
import type { JobHandler } from "../jobs/queue.js";
import { dropParkedJob, parkedJobs, parkJob } from "../store/parking.js";
import type { Deps } from "./context.js";

/**
 * A suspended installation: GitHub refuses its tokens ("This installation has been suspended", 403)
 * and sends no webhooks for its account until it is unsuspended, which may take days. Its jobs are
 * not retried into the dead-letter record: each is parked, as it is, and queued again when the
 * installation is unsuspended (the `installation` webhook, or the reconciler finding it active).
 * The pushes made meanwhile sent no webhook: the ref sweep run on unsuspend finds them.
 */

/** The `installation` webhook's suspend / unsuspend, as a job. */
export interface InstallationStateJob {
  installationId: number;
  suspended: boolean;
}

/** Wraps a job handler: a job of a suspended installation is parked instead of failing. */
export function parkable(deps: Pick<Deps, "store" | "log">, type: string, handler: JobHandler): JobHandler {
  return async (payload, job) => {
    try {
      await handler(payload, job);
    } catch (err) {
      const installationId = (payload as { installationId?: unknown } | null)?.installationId;
      if (!isInstallationSuspended(err) || typeof installationId !== "number") throw err;
      const fresh = await parkJob(deps.store, { installationId, type, payload, reason: "This installation has been suspended" });
      deps.log.warn({ installation: installationId, type, job: job.id, fresh }, "installation suspended: job parked until it is unsuspended");
    }
  };
}

/** Queues again the jobs parked for an installation (each once, whichever replica does it). */
export async function unparkInstallation(deps: Pick<Deps, "store" | "queue" | "log">, installationId: number): Promise<number> {
  const parked = await parkedJobs(deps.store, installationId);
  for (const p of parked) {
    await deps.queue.enqueue(p.type, p.payload, { dedupeKey: `unparked:${p.id}` });
    await dropParkedJob(deps.store, p.id);
  }
  if (parked.length > 0) deps.log.info({ installation: installationId, jobs: parked.length }, "installation active again: parked jobs queued");
  return parked.length;
}

/** `installation.suspend` / `installation.unsuspend`: recorded; on unsuspend, parked jobs queued and refs swept. */
export async function installationStateChanged(
  deps: Deps,
  job: InstallationStateJob,
  sweep: (deps: Deps, installationId: number) => Promise<unknown>,
): Promise<void> {
  await deps.store.logAction({
    action: job.suspended ? "installation-suspended" : "installation-unsuspended",
    detail: `installation ${job.installationId}`,
  });
  deps.log.warn({ installation: job.installationId }, job.suspended ? "installation suspended: its jobs wait" : "installation unsuspended");
  if (job.suspended) return;
  await unparkInstallation(deps, job.installationId);
  // GitHub sent no push webhook while the installation was suspended: the sweep finds those pushes.
  await sweep(deps, job.installationId);
}
