/** App JWT verification, installation/user tokens, and request principals. */
import { createPublicKey, randomBytes, verify } from "node:crypto";
import { ApiError, badCredentials } from "./errors.js";
import type { SimApp, SimInstallation, SimRepo, SimState, SimToken } from "./state.js";

export type Principal =
  | { kind: "anonymous" }
  | { kind: "app"; app: SimApp }
  | { kind: "installation"; token: SimToken; installation: SimInstallation }
  | { kind: "user"; login: string; token: SimToken };

const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export function randomToken(prefix: string): string {
  const bytes = randomBytes(36);
  let s = "";
  for (const b of bytes) s += B62[b % 62];
  return `${prefix}_${s}`;
}

export const installationSuspended = () =>
  new ApiError(403, "This installation has been suspended", {}, {}, "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app");

const jwtError = (msg = "A JSON web token could not be decoded") => new ApiError(401, msg);

/** Verify an RS256 app JWT the way GitHub does; returns the app. */
export function verifyAppJwt(jwt: string, state: SimState, now = state.now()): SimApp {
  const parts = jwt.split(".");
  if (parts.length !== 3) throw jwtError();
  let header: { alg?: string }, claims: { iss?: unknown; iat?: unknown; exp?: unknown };
  try {
    header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    throw jwtError();
  }
  if (header.alg !== "RS256") throw jwtError();
  const app = state.app;
  const iss = typeof claims.iss === "string" ? Number(claims.iss) : claims.iss;
  if (!app || typeof iss !== "number" || iss !== app.id) throw jwtError("'Issuer' claim ('iss') must be an Integer");
  const ok = verify("RSA-SHA256", Buffer.from(`${parts[0]}.${parts[1]}`), createPublicKey(app.publicKeyPem), Buffer.from(parts[2], "base64url"));
  if (!ok) throw jwtError();
  const nowS = Math.floor(now / 1000);
  if (typeof claims.iat !== "number" || claims.iat > nowS + 60)
    throw jwtError("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued");
  if (typeof claims.exp !== "number" || claims.exp <= nowS)
    throw jwtError("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires");
  if (claims.exp > nowS + 600 + 60) throw jwtError("'Expiration time' claim ('exp') is too far in the future");
  return app;
}

/** Resolve the Authorization header to a principal (throws 401 on bad credentials). */
export function principalFrom(authorization: string | undefined, state: SimState): Principal {
  if (!authorization) return { kind: "anonymous" };
  const m = /^(\w+)\s+(.+)$/.exec(authorization.trim());
  if (!m) throw badCredentials();
  const scheme = m[1].toLowerCase();
  let cred = m[2].trim();
  if (scheme === "basic") {
    const dec = Buffer.from(cred, "base64").toString("utf8");
    const i = dec.indexOf(":");
    cred = i >= 0 ? dec.slice(i + 1) : dec;
  } else if (scheme !== "token" && scheme !== "bearer") throw badCredentials();
  if (/^eyJ[\w-]*\.[\w-]+\.[\w-]*$/.test(cred)) {
    if (scheme === "token") throw badCredentials();
    return { kind: "app", app: verifyAppJwt(cred, state) };
  }
  return principalFromToken(cred, state);
}

export function principalFromToken(cred: string, state: SimState): Principal {
  const tok = state.tokens.get(cred);
  if (!tok) throw badCredentials();
  if (tok.expiresAt && tok.expiresAt.getTime() <= state.now()) throw badCredentials();
  if (tok.kind === "installation") {
    const installation = state.installations.get(tok.installationId!);
    if (!installation) throw badCredentials();
    // A suspended installation's access is blocked (see the README for the assumption on existing tokens).
    if (installation.suspendedAt) throw installationSuspended();
    return { kind: "installation", token: tok, installation };
  }
  return { kind: "user", login: tok.login!, token: tok };
}

/** Whether the principal can see the repository (404 otherwise). */
export function canSee(p: Principal, repo: SimRepo, state: SimState): boolean {
  if (p.kind === "installation") {
    if (p.installation.account.toLowerCase() !== repo.owner.toLowerCase()) return false;
    if (p.token.repositoryIds && !p.token.repositoryIds.includes(repo.id)) return false;
    return true;
  }
  if (!repo.private) return true;
  if (p.kind === "user") return !!state.roleOf(repo, p.login);
  return false;
}

const LEVEL = ["read", "triage", "write", "maintain", "admin"];
/** Whether a user principal has at least `need` on the repo. */
export function userHasRole(state: SimState, repo: SimRepo, login: string, need: "read" | "triage" | "write" | "maintain" | "admin"): boolean {
  const role = state.roleOf(repo, login);
  const have = role ? LEVEL.indexOf(role) : repo.private ? -1 : 0;
  return have >= LEVEL.indexOf(need);
}

/** Installation permission check ("read" < "write"). */
export function installationHas(p: Principal & { kind: "installation" }, perm: string, level: "read" | "write"): boolean {
  const perms = p.token.permissions ?? {};
  const have = perms[perm];
  if (!have) return false;
  return level === "read" || have === "write" || have === "admin";
}
