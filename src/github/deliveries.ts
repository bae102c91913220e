import type { Logger } from "pino";
import type { Store } from "../store/index.js";
import { deliveryKnown, getMark, noteRedelivery, redeliveryAttempts, setMark } from "../store/reconcile.js";
import type { Octokit } from "./types.js";

/**
 * GitHub does not retry a webhook delivery that failed (keyfence was down, or answered 5xx). So
 * keyfence lists its app's deliveries (GET /app/hook/deliveries, app JWT) and asks GitHub to
 * redeliver (POST /app/hook/deliveries/{id}/attempts) each failed one it has no record of. A
 * redelivery keeps its GUID (X-GitHub-Delivery), which the handlers dedupe on: asking twice, or
 * from two replicas, does nothing twice.
 */

/** The events keyfence acts on: failed deliveries of others are left alone. */
export const HANDLED_EVENTS = new Set(["push", "issue_comment", "installation", "installation_repositories"]);

export interface DeliveryItem {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  status: string;
  status_code: number;
  event: string;
  action?: string | null;
}

export interface RedeliverOptions {
  /** How far back to look the first time (GitHub keeps deliveries for 3 days). */
  lookbackMs?: number;
  /** Overlap with the previous check, for deliveries that finished while it ran. */
  overlapMs?: number;
  /** At most this many redeliveries asked for one GUID. */
  maxAttempts?: number;
  /** Pages of 100 deliveries read at most per check. */
  maxPages?: number;
}

const MARK = "deliveries_checked_at";

/** A delivery GitHub could not hand over: no HTTP answer (0) or an error status. */
export const failed = (d: Pick<DeliveryItem, "status_code">) => d.status_code === 0 || d.status_code >= 400;
const succeeded = (d: Pick<DeliveryItem, "status_code">) => d.status_code >= 200 && d.status_code < 400;

/** Lists the deliveries made since `since`, newest first, following the `cursor` pagination. */
export async function listDeliveries(app: Octokit, since: Date, maxPages = 20): Promise<DeliveryItem[]> {
  const out: DeliveryItem[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const res = await app.request("GET /app/hook/deliveries", { per_page: 100, ...(cursor ? { cursor } : {}) });
    const items = res.data as DeliveryItem[];
    let older = false;
    for (const d of items) {
      if (Date.parse(d.delivered_at) < since.getTime()) older = true;
      else out.push(d);
    }
    cursor = nextCursor(res.headers.link);
    if (older || !cursor || items.length === 0) break;
  }
  return out;
}

function nextCursor(link: string | undefined): string | undefined {
  const next = link?.split(",").find((l) => /rel="next"/.test(l));
  const url = next && /<([^>]+)>/.exec(next)?.[1];
  return url ? (new URL(url).searchParams.get("cursor") ?? undefined) : undefined;
}

/**
 * One check: the GUIDs whose every attempt failed and that keyfence never accepted get one more
 * attempt. Returns the GUIDs asked for.
 */
export async function redeliverFailed(app: Octokit, store: Store, log: Logger, opts: RedeliverOptions = {}): Promise<string[]> {
  const started = new Date();
  const last = await getMark(store, MARK);
  const since = last
    ? new Date(Date.parse(last) - (opts.overlapMs ?? 10 * 60_000))
    : new Date(started.getTime() - (opts.lookbackMs ?? 72 * 3_600_000));
  const deliveries = await listDeliveries(app, since, opts.maxPages);
  const byGuid = new Map<string, DeliveryItem[]>();
  for (const d of deliveries) byGuid.set(d.guid, [...(byGuid.get(d.guid) ?? []), d]);
  const asked: string[] = [];
  let incomplete = false;
  for (const [guid, attempts] of byGuid) {
    const latest = attempts[0]!; // newest first
    if (!HANDLED_EVENTS.has(latest.event) || attempts.some(succeeded) || !failed(latest)) continue;
    if (await deliveryKnown(store, guid)) continue;
    if ((await redeliveryAttempts(store, guid)) >= (opts.maxAttempts ?? 3)) continue;
    try {
      await app.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: latest.id });
      await noteRedelivery(store, guid, latest.event);
      asked.push(guid);
      log.info({ delivery: guid, event: latest.event, status: latest.status_code }, "asked GitHub to redeliver a failed webhook");
    } catch (err) {
      incomplete = true;
      log.warn({ delivery: guid, err: (err as Error).message }, "redelivery request failed; will ask again");
    }
  }
  // The watermark moves only when every failed delivery seen was asked for.
  if (!incomplete) await setMark(store, MARK, started.toISOString());
  return asked;
}
