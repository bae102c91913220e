import http from "node:http";
import type { AddressInfo } from "node:net";
import { handleAdmin } from "./admin.js";
import { authenticate, authorize } from "./auth.js";
import type { ActionContext, Service } from "./context.js";
import { AwsError, defaultStatus, MSG } from "./errors.js";
import { iamActions } from "./iam.js";
import { requestId as newRequestId } from "./keys.js";
import {
  isJsonService,
  QUERY_VERSION,
  renderJson,
  renderJsonError,
  renderQuery,
  renderQueryError,
  toJsonError,
  type WireResponse,
} from "./protocol.js";
import { secretsManagerActions } from "./secretsmanager.js";
import { parseAuth, type ParsedAuth, type RawRequest } from "./sigv4.js";
import type { Principal, SimState } from "./state.js";
import { stsActions, stsSessionRestriction } from "./sts.js";

export interface FailRule {
  service?: Service;
  action: string;
  code: string;
  status?: number;
  message?: string;
  times?: number;
}

export interface CallRecord {
  service: string;
  action: string;
  accessKeyId: string;
  ok: boolean;
  code?: string;
  at: Date;
  /** from the request's arrival to its answer, simulated latency included */
  durationMs: number;
}

const SERVICES: Service[] = ["iam", "sts", "secretsmanager"];
const MAX_CALLS = 10_000;
/** AWS_SIM_DEBUG=1 logs every call to stderr (never credentials' secrets). */
const DEBUG = !!process.env.AWS_SIM_DEBUG;

/** The HTTP front of the simulator: reads, authenticates, dispatches and renders one request at a time. */
export class SimServer {
  latencyMs: number;
  readonly failRules: Array<FailRule & { remaining: number }> = [];
  readonly calls: CallRecord[] = [];
  readonly http: http.Server;

  constructor(
    readonly state: SimState,
    opts: { latencyMs?: number },
  ) {
    this.latencyMs = opts.latencyMs ?? 0;
    this.http = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(String(err?.stack ?? err));
      });
    });
  }

  async listen(port: number, host: string): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(port, host, () => {
        this.http.off("error", reject);
        resolve();
      });
    });
    const a = this.http.address() as AddressInfo;
    return `http://${host.includes(":") ? `[${host}]` : host}:${a.port}`;
  }

  async close(): Promise<void> {
    this.http.closeAllConnections?.();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  fail(rule: FailRule): void {
    this.failRules.push({ ...rule, remaining: rule.times ?? 1 });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const t0 = Date.now();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? "/", "http://sim.invalid");
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(",") : v;
    const raw: RawRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: Buffer.concat(chunks),
    };
    if (raw.path.startsWith("/_sim/")) return handleAdmin(this, raw, res);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const out = await this.dispatch(raw, t0);
    res.writeHead(out.status, { ...out.headers, "content-length": Buffer.byteLength(out.body) });
    res.end(out.body);
  }

  private async dispatch(raw: RawRequest, t0 = Date.now()): Promise<WireResponse> {
    const requestId = newRequestId();
    const target = raw.headers["x-amz-target"];
    let params: Record<string, string> = {};
    let input: Record<string, unknown> = {};
    let service: Service | undefined;
    let action = "";
    let auth: ParsedAuth | undefined;
    let accessKeyId = "";
    const record = (ok: boolean, code?: string) => {
      this.calls.push({ service: service ?? "unknown", action, accessKeyId, ok, ...(code ? { code } : {}), at: new Date(), durationMs: Date.now() - t0 });
      if (DEBUG) console.error(`[aws-sim] ${service ?? "?"}:${action} ${accessKeyId || "-"} ${ok ? "ok" : code}`);
      if (this.calls.length > MAX_CALLS) this.calls.splice(0, this.calls.length - MAX_CALLS);
    };
    const fail = (e: AwsError): WireResponse => {
      const s = service ?? (target ? "secretsmanager" : "sts");
      const wire = isJsonService(s) ? toJsonError(e) : e;
      record(false, wire.code);
      return isJsonService(s) ? renderJsonError(wire, requestId) : renderQueryError(s as "iam" | "sts", wire, requestId);
    };
    try {
      if (target) {
        action = target.slice(target.indexOf(".") + 1);
        service = target.startsWith("secretsmanager.") ? "secretsmanager" : undefined;
      } else {
        params = { ...raw.query, ...Object.fromEntries(new URLSearchParams(raw.body.toString("utf8"))) };
        action = params.Action ?? "";
        service = Object.hasOwn(iamActions, action) ? "iam" : Object.hasOwn(stsActions, action) ? "sts" : undefined;
      }
      auth = parseAuth(raw);
      accessKeyId = auth?.accessKeyId ?? "";
      if (auth) {
        if (!SERVICES.includes(auth.service as Service)) {
          service = service ?? "sts";
          throw new AwsError("SignatureDoesNotMatch", `Credential should be scoped to correct service: '${service}'.`);
        }
        service = auth.service as Service;
      }
      if (!service) service = target ? "secretsmanager" : "sts";

      const injected = this.injectedFault(service, action);
      if (injected) throw injected;

      if (isJsonService(service)) {
        if (!target || !Object.hasOwn(secretsManagerActions, action)) throw new AwsError("UnknownOperationException", "");
        try {
          input = raw.body.length ? (JSON.parse(raw.body.toString("utf8")) as Record<string, unknown>) : {};
        } catch {
          throw new AwsError("SerializationException", "Start of structure or map found where not expected.");
        }
      } else {
        const version = QUERY_VERSION[service as "iam" | "sts"];
        if (!action) throw new AwsError("MissingAction", "Missing Action");
        const table = service === "iam" ? iamActions : stsActions;
        if (!Object.hasOwn(table, action) || (params.Version && params.Version !== version)) {
          throw new AwsError("InvalidAction", `Could not find operation ${action} for version ${params.Version ?? version}`);
        }
      }

      const principal = await authenticate(this.state, raw, auth);
      if (service === "iam" && principal.kind === "user-session") {
        // Without MFA, GetSessionToken credentials cannot call IAM at all.
        throw new AwsError("InvalidClientTokenId", MSG.invalidToken);
      }
      const ctx = this.context(service, action, principal, raw, auth!, requestId);
      let out: WireResponse;
      if (service === "secretsmanager") {
        out = renderJson(secretsManagerActions[action](ctx, input), requestId);
      } else if (service === "sts") {
        stsSessionRestriction(ctx);
        out = renderQuery("sts", action, stsActions[action](ctx, params), requestId);
      } else {
        out = renderQuery("iam", action, iamActions[action](ctx, params), requestId);
      }
      this.markUsed(principal, service, auth!.region);
      record(true);
      return out;
    } catch (err) {
      if (err instanceof AwsError) return fail(err);
      console.error(`[aws-sim] internal error in ${service}:${action}:`, err);
      return fail(new AwsError(service === "iam" ? "ServiceFailure" : "InternalFailure", String((err as Error)?.message ?? err), 500));
    }
  }

  private context(service: Service, action: string, principal: Principal, raw: RawRequest, auth: ParsedAuth, requestId: string): ActionContext {
    const state = this.state;
    return {
      state,
      service,
      action,
      principal,
      region: auth.region,
      requestId,
      raw,
      authorize(resource, a) {
        authorize(state, principal, raw, `${service}:${a ?? action}`, resource);
      },
    };
  }

  private markUsed(p: Principal, service: Service, region: string): void {
    if (p.kind !== "user") return;
    const k = this.state.keys.get(p.accessKeyId);
    if (k) k.lastUsed = { date: this.state.now(), serviceName: service, region };
  }

  private injectedFault(service: Service, action: string): AwsError | undefined {
    const i = this.failRules.findIndex((r) => (!r.service || r.service === service) && (r.action === action || r.action === "*"));
    if (i < 0) return undefined;
    const r = this.failRules[i];
    if (--r.remaining <= 0) this.failRules.splice(i, 1);
    return new AwsError(r.code, r.message ?? `Simulated ${r.code}`, r.status ?? defaultStatus(r.code));
  }
}
