import type http from "node:http";
import type { FailRule, SimServer } from "./server.js";
import type { RawRequest } from "./sigv4.js";
import { roleArn, userArn, type SimState } from "./state.js";

/** A snapshot of the simulated AWS without any secret material (for GET /_sim/state). */
export function snapshot(state: SimState) {
  return {
    accounts: [...state.accounts.values()].map((a) => ({
      accountId: a.accountId,
      users: [...a.users.values()].map((u) => ({
        userName: u.userName,
        userId: u.userId,
        arn: userArn(a.accountId, u.userName, u.path),
        createDate: u.createDate.toISOString(),
        inlinePolicies: Object.fromEntries(u.policies),
        attachedPolicies: [...u.attached],
        accessKeys: state.keysOf(a.accountId, u.userName).map((k) => ({
          accessKeyId: k.accessKeyId,
          status: k.status,
          createDate: k.createDate.toISOString(),
          lastUsed: k.lastUsed
            ? { date: k.lastUsed.date.toISOString(), serviceName: k.lastUsed.serviceName, region: k.lastUsed.region }
            : undefined,
        })),
      })),
      roles: [...a.roles.values()].map((r) => ({
        roleName: r.roleName,
        arn: roleArn(a.accountId, r.roleName),
        trustedAccountIds: [...r.trustedAccountIds],
      })),
      secrets: [...a.secrets.values()].map((s) => ({
        name: s.name,
        arn: s.arn,
        versions: [...s.versions.values()].map((v) => ({ versionId: v.versionId, stages: [...v.stages] })),
      })),
    })),
    deletedAccessKeys: [...state.deletedKeys.keys()],
    sessions: [...state.sessions.values()].map((s) => ({
      accessKeyId: s.accessKeyId,
      arn: s.principal.arn,
      issuedAt: s.issuedAt.toISOString(),
      expiration: s.expiration.toISOString(),
    })),
  };
}

/** The simulator's own HTTP API, under /_sim/ (unsigned; the server listens on loopback). */
export function handleAdmin(server: SimServer, raw: RawRequest, res: http.ServerResponse): void {
  const send = (status: number, body: unknown) => {
    const s = JSON.stringify(body, null, 2);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(s) });
    res.end(s);
  };
  let body: Record<string, unknown> = {};
  try {
    if (raw.body.length) body = JSON.parse(raw.body.toString("utf8")) as Record<string, unknown>;
  } catch {
    return send(400, { error: "body must be JSON" });
  }
  const route = `${raw.method} ${raw.path}`;
  switch (route) {
    case "GET /_sim/state":
      return send(200, {
        ...snapshot(server.state),
        latencyMs: server.latencyMs,
        pendingFaults: server.failRules,
        calls: server.calls,
      });
    case "POST /_sim/fail": {
      const badService = body.service !== undefined && !["iam", "sts", "secretsmanager"].includes(body.service as string);
      if (typeof body.action !== "string" || typeof body.code !== "string" || badService) {
        return send(400, { error: "expected {action, code, service?, status?, message?, times?}" });
      }
      server.fail(body as unknown as FailRule);
      return send(200, { ok: true });
    }
    case "POST /_sim/latency": {
      const ms = Number(body.ms ?? body.latencyMs);
      if (!Number.isFinite(ms) || ms < 0) return send(400, { error: "expected {ms: number >= 0}" });
      server.latencyMs = ms;
      return send(200, { ok: true, latencyMs: ms });
    }
    case "POST /_sim/clock": {
      const ms = Number(body.advanceMs);
      if (!Number.isFinite(ms)) return send(400, { error: "expected {advanceMs: number}" });
      server.state.clockOffsetMs += ms;
      return send(200, { ok: true, now: server.state.now().toISOString() });
    }
    default:
      return send(404, { error: `no admin route ${route}` });
  }
}
