/** Actions secrets (repo + environment) with real libsodium sealed boxes. */
import sodium from "libsodium-wrappers";
import { ApiError, notFound, validationFailed } from "../errors.js";
import { paginate, type Ctx, type Route } from "../core.js";
import { iso, nodeId } from "../shapes.js";
import type { SimEnvironment, SimKeyPair, SimRepo, SimSecret, SimState } from "../state.js";

export async function keyPairFor(holder: { keyPair?: SimKeyPair }): Promise<SimKeyPair> {
  if (!holder.keyPair) {
    await sodium.ready;
    const kp = sodium.crypto_box_keypair();
    const keyId = String(BigInt(`0x${Buffer.from(sodium.randombytes_buf(8)).toString("hex")}`) % 10n ** 18n).padStart(18, "1");
    holder.keyPair = { keyId, publicKey: kp.publicKey, privateKey: kp.privateKey };
  }
  return holder.keyPair;
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const P: [string, "write", "write"] = ["secrets", "write", "write"];
const PR: [string, "read", "write"] = ["secrets", "read", "write"];

function env(repo: SimRepo, name: string): SimEnvironment {
  const e = repo.environments.get(name);
  if (!e) throw notFound();
  return e;
}

export function ensureEnvironment(state: SimState, repo: SimRepo, name: string): SimEnvironment {
  let e = repo.environments.get(name);
  if (!e) {
    e = { id: state.nextId("env", 160000000), name, secrets: new Map(), createdAt: new Date() };
    repo.environments.set(name, e);
  }
  return e;
}

async function putSecret(ctx: Ctx, holder: { keyPair?: SimKeyPair; secrets: Map<string, SimSecret> }) {
  const name = ctx.params.name;
  if (!NAME_RE.test(name) || /^GITHUB_/i.test(name))
    throw validationFailed([{ resource: "Secret", code: "invalid", field: "name", message: "Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_), must not start with a number or GITHUB_" }]);
  const b = (ctx.body ?? {}) as { encrypted_value?: unknown; key_id?: unknown };
  if (typeof b.encrypted_value !== "string") throw new ApiError(422, 'Invalid request.\n\n"encrypted_value" wasn\'t supplied.');
  if (typeof b.key_id !== "string") throw new ApiError(422, 'Invalid request.\n\n"key_id" wasn\'t supplied.');
  const kp = await keyPairFor(holder);
  // GitHub answers both a stale key_id and an undecryptable value with this message.
  const improper = () => new ApiError(422, "Bad request - validation failed due to an improperly encrypted secret", {}, {}, "https://docs.github.com/rest/actions/secrets#create-or-update-a-repository-secret");
  if (b.key_id !== kp.keyId) throw improper();
  let plain: string;
  try {
    await sodium.ready;
    const sealed = Buffer.from(b.encrypted_value, "base64");
    plain = Buffer.from(sodium.crypto_box_seal_open(sealed, kp.publicKey, kp.privateKey)).toString("utf8");
  } catch {
    throw improper();
  }
  const now = new Date();
  const existing = holder.secrets.get(name.toUpperCase());
  if (existing) {
    existing.value = plain;
    existing.updatedAt = now;
    return { status: 204 };
  }
  holder.secrets.set(name.toUpperCase(), { name: name.toUpperCase(), value: plain, createdAt: now, updatedAt: now });
  return { status: 201, body: {} };
}

const meta = (s: SimSecret) => ({ name: s.name, created_at: iso(s.createdAt), updated_at: iso(s.updatedAt) });
const pub = async (holder: { keyPair?: SimKeyPair }) => {
  const kp = await keyPairFor(holder);
  return { status: 200, body: { key_id: kp.keyId, key: Buffer.from(kp.publicKey).toString("base64") } };
};
function listSecrets(ctx: Ctx, secrets: Map<string, SimSecret>) {
  const all = [...secrets.values()].sort((a, b) => a.name.localeCompare(b.name));
  const { items, headers } = paginate(ctx, all);
  return { status: 200, headers, body: { total_count: all.length, secrets: items.map(meta) } };
}
function getSecret(ctx: Ctx, secrets: Map<string, SimSecret>) {
  const s = secrets.get(ctx.params.name.toUpperCase());
  if (!s) throw notFound();
  return { status: 200, body: meta(s) };
}
function delSecret(ctx: Ctx, secrets: Map<string, SimSecret>) {
  if (!secrets.delete(ctx.params.name.toUpperCase())) throw notFound();
  return { status: 204 };
}

function environmentObject(ctx: Ctx, repo: SimRepo, e: SimEnvironment) {
  const api = `${ctx.core.urls.api}/repos/${repo.owner}/${repo.name}/environments/${encodeURIComponent(e.name)}`;
  return {
    id: e.id, node_id: nodeId("EN", e.id), name: e.name, url: api,
    html_url: `${ctx.core.urls.web}/${repo.owner}/${repo.name}/deployments/activity_log?environments_filter=${encodeURIComponent(e.name)}`,
    created_at: iso(e.createdAt), updated_at: iso(e.createdAt), protection_rules: [], deployment_branch_policy: null,
  };
}

const R = "/repos/:owner/:repo";
export const secretRoutes: Route[] = [
  { method: "GET", pattern: `${R}/actions/secrets/public-key`, handler: (ctx) => pub(ctx.core.repo(ctx, PR)) },
  { method: "GET", pattern: `${R}/actions/secrets`, handler: (ctx) => listSecrets(ctx, ctx.core.repo(ctx, PR).secrets) },
  { method: "GET", pattern: `${R}/actions/secrets/:name`, handler: (ctx) => getSecret(ctx, ctx.core.repo(ctx, PR).secrets) },
  { method: "PUT", pattern: `${R}/actions/secrets/:name`, handler: (ctx) => putSecret(ctx, ctx.core.repo(ctx, P)) },
  { method: "DELETE", pattern: `${R}/actions/secrets/:name`, handler: (ctx) => delSecret(ctx, ctx.core.repo(ctx, P).secrets) },
  { method: "GET", pattern: `${R}/environments`, handler: (ctx) => {
    const repo = ctx.core.repo(ctx, ["actions", "read", "read"]);
    const envs = [...repo.environments.values()];
    return { status: 200, body: { total_count: envs.length, environments: envs.map((e) => environmentObject(ctx, repo, e)) } };
  } },
  { method: "GET", pattern: `${R}/environments/:env`, handler: (ctx) => {
    const repo = ctx.core.repo(ctx, ["actions", "read", "read"]);
    return { status: 200, body: environmentObject(ctx, repo, env(repo, ctx.params.env)) };
  } },
  { method: "PUT", pattern: `${R}/environments/:env`, handler: (ctx) => {
    const repo = ctx.core.repo(ctx, ["administration", "write", "admin"]);
    return { status: 200, body: environmentObject(ctx, repo, ensureEnvironment(ctx.core.state, repo, ctx.params.env)) };
  } },
  { method: "GET", pattern: `${R}/environments/:env/secrets/public-key`, handler: (ctx) => pub(env(ctx.core.repo(ctx, PR), ctx.params.env)) },
  { method: "GET", pattern: `${R}/environments/:env/secrets`, handler: (ctx) => listSecrets(ctx, env(ctx.core.repo(ctx, PR), ctx.params.env).secrets) },
  { method: "GET", pattern: `${R}/environments/:env/secrets/:name`, handler: (ctx) => getSecret(ctx, env(ctx.core.repo(ctx, PR), ctx.params.env).secrets) },
  { method: "PUT", pattern: `${R}/environments/:env/secrets/:name`, handler: (ctx) => putSecret(ctx, env(ctx.core.repo(ctx, P), ctx.params.env)) },
  { method: "DELETE", pattern: `${R}/environments/:env/secrets/:name`, handler: (ctx) => delSecret(ctx, env(ctx.core.repo(ctx, P), ctx.params.env).secrets) },
];
