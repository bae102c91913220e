import type { ApplicationFunction, Probot } from "probot";
import { REPO_SETTINGS_PATH } from "./config/repo.js";
import type { Deps } from "./pipeline/context.js";
import { handleComment, type CommentEvent } from "./pipeline/commands.js";
import { scanPush, type PushJob } from "./pipeline/push.js";
import { REPORT_JOB, sendReport, type ReportJob } from "./pipeline/report.js";
import { runRotation, type RotateJob } from "./pipeline/rotate.js";
import type { JobHandler } from "./jobs/queue.js";
import { backfillOnInstall, backfillRepoJob, type BackfillInstallJob, type BackfillRepoJob } from "./pipeline/backfill.js";
import { reconcileRef, scanPushAndRecord, sweepInstallation, type ReconcileJob } from "./pipeline/reconcile.js";
import { installationStateChanged, parkable, type InstallationStateJob } from "./pipeline/suspension.js";

/**
 * The webhook handlers. They only verify (Probot checks the signature), record and queue: the
 * work happens in jobs, so GitHub gets its answer at once and a redelivery does nothing twice.
 */
export function keyfenceApp(deps: Omit<Deps, "github" | "githubApp">): ApplicationFunction {
  return (app: Probot) => {
    app.on("push", async (context) => {
      const p = context.payload;
      if (!p.installation || p.deleted) return;
      const job: PushJob = {
        installationId: p.installation.id,
        repo: {
          id: p.repository.id,
          owner: p.repository.owner?.login ?? "",
          repo: p.repository.name,
          htmlUrl: p.repository.html_url,
          cloneUrl: p.repository.clone_url,
          private: p.repository.private,
        },
        push: {
          ref: p.ref,
          before: p.before,
          after: p.after,
          deleted: p.deleted,
          forced: p.forced,
          created: p.created,
          commits: p.commits.map((c) => ({
            id: c.id,
            distinct: c.distinct,
            files: (c.added?.length ?? 0) + (c.removed?.length ?? 0) + (c.modified?.length ?? 0),
            settings: [...(c.added ?? []), ...(c.removed ?? []), ...(c.modified ?? [])].includes(REPO_SETTINGS_PATH),
          })),
          pusher: { name: p.pusher.name },
          sender: { login: p.sender?.login },
        },
      };
      await accept(deps, context.id, "push", job);
    });

    app.on("issue_comment.created", async (context) => {
      const p = context.payload;
      const user = p.comment.user;
      if (!p.installation || !user || user.type === "Bot") return;
      const ev: CommentEvent = {
        installationId: p.installation.id,
        repo: { owner: p.repository.owner?.login ?? "", repo: p.repository.name },
        repoId: p.repository.id,
        issueNumber: p.issue.number,
        commentId: p.comment.id,
        body: p.comment.body ?? "",
        author: user.login,
        authorType: user.type ?? "User",
      };
      await accept(deps, context.id, "comment", ev);
    });

    // Backfill on install: the job reads each repository's settings (backfill.on_install).
    app.on("installation.created", async (context) => {
      const job: BackfillInstallJob = { installationId: context.payload.installation.id };
      await accept(deps, context.id, "backfill-install", job);
    });
    // Suspended: GitHub refuses the installation's tokens until it is unsuspended (src/pipeline/suspension.ts).
    app.on(["installation.suspend", "installation.unsuspend"], async (context) => {
      const job: InstallationStateJob = { installationId: context.payload.installation.id, suspended: context.payload.action === "suspend" };
      await accept(deps, context.id, "installation-state", job);
    });
    app.on("installation_repositories.added", async (context) => {
      const p = context.payload;
      const job: BackfillInstallJob = { installationId: p.installation.id, repos: p.repositories_added.map((r) => r.full_name) };
      await accept(deps, context.id, "backfill-install", job);
    });
  };
}

async function accept(deps: Omit<Deps, "github" | "githubApp">, deliveryId: string, type: string, job: unknown): Promise<void> {
  const queued = await deps.queue.enqueue(type, job, { dedupeKey: `delivery:${deliveryId}` });
  await deps.store.recordDelivery(deliveryId, type);
  deps.log.info({ delivery: deliveryId, type, queued }, queued ? "webhook queued" : "webhook already handled");
}

export function jobHandlers(deps: Deps): Record<string, JobHandler> {
  const handlers: Record<string, JobHandler> = {
    // The scanned head is recorded per ref, for the reconciliation sweep (src/pipeline/reconcile.ts).
    push: (job: PushJob) => scanPushAndRecord(deps, job, scanPush),
    // A push's issues and check run, queued once its keys are contained (src/pipeline/report.ts).
    [REPORT_JOB]: (job: ReportJob) => sendReport(deps, job),
    "reconcile-ref": (job: ReconcileJob) => reconcileRef(deps, job),
    comment: async (ev: CommentEvent) => handleComment(deps, await deps.github(ev.installationId), ev),
    rotate: (job: RotateJob) => runRotation(deps, job),
    "backfill-install": async (job: BackfillInstallJob) => void (await backfillOnInstall(deps, job)),
    "backfill-repo": (job: BackfillRepoJob) => backfillRepoJob(deps, job),
    "installation-state": (job: InstallationStateJob) => installationStateChanged(deps, job, (d, id) => sweepInstallation(d, id)),
  };
  // A job of a suspended installation is parked until it is unsuspended, not retried to death.
  return Object.fromEntries(Object.entries(handlers).map(([type, handler]) => [type, parkable(deps, type, handler)]));
}
