import { createHmac, createSign, generateKeyPairSync, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { Octokit } from "@octokit/rest";
import { startGitHubSim, type GitHubSim } from "../../../src/sim/github/index.js";

export const APP_ID = 4242;
export const INSTALLATION_ID = 77;
export const ORG = "acme";
export const REPO = "payments";

const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
export const privateKeyPem = keys.privateKey.export({ type: "pkcs1", format: "pem" }).toString();
export const publicKeyPem = keys.publicKey.export({ type: "spki", format: "pem" }).toString();

export function appJwt(opts: { iss?: number; iat?: number; exp?: number; key?: string } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const data = `${b64({ alg: "RS256", typ: "JWT" })}.${b64({ iat: opts.iat ?? now - 30, exp: opts.exp ?? now + 540, iss: opts.iss ?? APP_ID })}`;
  const sig = createSign("RSA-SHA256").update(data).sign(opts.key ?? privateKeyPem).toString("base64url");
  return `${data}.${sig}`;
}

export interface Received { headers: IncomingHttpHeaders; body: string; payload: any }

export class HookReceiver {
  received: Received[] = [];
  status = 200;
  delayMs = 0;
  private server!: Server;
  url = "";
  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        this.received.push({ headers: req.headers, body, payload: JSON.parse(body) });
        setTimeout(() => { res.writeHead(this.status); res.end("ok"); }, this.delayMs);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", () => r()));
    const a = this.server.address();
    this.url = `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}/hooks`;
    return this;
  }
  of(event: string) { return this.received.filter((r) => r.headers["x-github-event"] === event); }
  close() { this.server.closeAllConnections(); return new Promise<void>((r) => this.server.close(() => r())); }
}

export function verifySignature(secret: string, r: Received): boolean {
  const want = Buffer.from(`sha256=${createHmac("sha256", secret).update(r.body).digest("hex")}`);
  const got = Buffer.from(String(r.headers["x-hub-signature-256"] ?? ""));
  return want.length === got.length && timingSafeEqual(want, got);
}

export interface World {
  sim: GitHubSim; hooks: HookReceiver; secret: string;
  app: Octokit; installation: Octokit; token: string;
  close(): Promise<void>;
}

export async function world(opts: { appOwner?: string } = {}): Promise<World> {
  const sim = await startGitHubSim();
  const hooks = await new HookReceiver().start();
  const secret = randomBytes(16).toString("hex");
  sim.addApp({ appId: APP_ID, slug: "keyfence", publicKeyPem, webhookSecret: secret, webhookUrl: hooks.url, owner: opts.appOwner });
  for (const u of ["alice", "bob", "carol", "dave", "erin"]) sim.addUser(u);
  sim.addInstallation({ id: INSTALLATION_ID, account: ORG, accountType: "Organization" });
  await sim.addRepo(ORG, REPO);
  sim.setCollaborator(ORG, REPO, "alice", "admin");
  sim.setCollaborator(ORG, REPO, "bob", "write");
  sim.setCollaborator(ORG, REPO, "carol", "maintain");
  sim.setCollaborator(ORG, REPO, "dave", "triage");
  const app = new Octokit({ baseUrl: sim.apiUrl, auth: appJwt() });
  const { data } = await app.apps.createInstallationAccessToken({ installation_id: INSTALLATION_ID });
  const installation = new Octokit({ baseUrl: sim.apiUrl, auth: data.token });
  return {
    sim, hooks, secret, app, installation, token: data.token,
    async close() { await sim.close(); await hooks.close(); },
  };
}

export const userOctokit = (sim: GitHubSim, login: string) => new Octokit({ baseUrl: sim.apiUrl, auth: sim.userToken(login) });
