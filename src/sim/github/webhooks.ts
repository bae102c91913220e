/** Webhook signing, asynchronous delivery, delivery log and redelivery. */
import { createHmac, randomUUID } from "node:crypto";
import type { SimApp } from "./state.js";

export interface Delivery {
  id: string;
  guid: string;
  event: string;
  action?: string;
  payload: unknown;
  status?: number;
  error?: string;
  durationMs?: number;
  at: Date;
  redelivery?: boolean;
  url?: string;
  /** raw body exactly as sent */
  body: string;
  installationTargetId?: number;
  /** extension: the numeric delivery ID of the deliveries API (one per attempt; `guid` is shared by redeliveries) */
  num?: number;
}

export const sign = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
export const signSha1 = (secret: string, body: string) => `sha1=${createHmac("sha1", secret).update(body).digest("hex")}`;

export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Sent to every GitHub App whatever it subscribes to ("you cannot manually subscribe to this event"). */
export const ALWAYS_SENT = ["installation", "installation_repositories"];

export class WebhookDispatcher {
  deliveries: Delivery[] = [];
  private pending = new Set<Promise<unknown>>();
  private nextNum = 90_000_000_000;

  constructor(private getApp: () => SimApp | undefined) {}

  /** Queue a delivery of `event` to the app (if it subscribes); returns immediately. */
  emit(event: string, payload: Record<string, unknown>, targetId?: number): Delivery | undefined {
    const app = this.getApp();
    if (!app) return undefined;
    if (!ALWAYS_SENT.includes(event) && !app.events.includes(event) && !app.events.includes("*")) return undefined;
    const body = JSON.stringify(payload);
    const d: Delivery = {
      id: randomUUID(),
      guid: "",
      event,
      action: typeof payload.action === "string" ? payload.action : undefined,
      payload: JSON.parse(body),
      at: new Date(),
      body,
      installationTargetId: targetId ?? app.id,
      num: ++this.nextNum,
    };
    d.guid = d.id;
    this.deliveries.push(d);
    this.track(this.send(app, d).then((r) => { d.status = r.status; d.error = r.error; d.durationMs = r.durationMs; d.url = r.url; }));
    return d;
  }

  async redeliver(id: string): Promise<number> {
    const orig = this.deliveries.find((d) => d.id === id);
    const app = this.getApp();
    if (!orig || !app) throw new Error(`unknown delivery ${id}`);
    const d: Delivery = { ...orig, at: new Date(), redelivery: true, status: undefined, error: undefined, num: ++this.nextNum };
    this.deliveries.push(d);
    const r = await this.track(this.send(app, d));
    d.status = r.status; d.error = r.error; d.durationMs = r.durationMs; d.url = r.url;
    return r.status ?? 0;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    p.finally(() => this.pending.delete(p)).catch(() => {});
    return p;
  }

  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private async send(app: SimApp, d: Delivery): Promise<{ status?: number; error?: string; durationMs: number; url?: string }> {
    const url = app.webhookUrl;
    const t0 = Date.now();
    if (!url) return { error: "no webhook URL configured", durationMs: 0 };
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      "User-Agent": "GitHub-Hookshot/sim0001",
      Accept: "*/*",
      "X-GitHub-Event": d.event,
      "X-GitHub-Delivery": d.guid,
      "X-GitHub-Hook-ID": String(app.hookId),
      "X-GitHub-Hook-Installation-Target-ID": String(d.installationTargetId ?? app.id),
      "X-GitHub-Hook-Installation-Target-Type": "integration",
      "X-Hub-Signature": signSha1(app.webhookSecret, d.body),
      "X-Hub-Signature-256": sign(app.webhookSecret, d.body),
    };
    try {
      const res = await fetch(url, { method: "POST", headers, body: d.body, signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS) });
      await res.arrayBuffer().catch(() => undefined);
      return { status: res.status, durationMs: Date.now() - t0, url };
    } catch (e) {
      const err = e as Error;
      const msg = err.name === "TimeoutError" ? "timed out" : (err as Error & { cause?: Error }).cause?.message ?? err.message;
      return { error: msg, durationMs: Date.now() - t0, url };
    }
  }
}
