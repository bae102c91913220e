/**
 * Run the GitHub simulator standalone.
 *
 *   tsx src/sim/github/main.ts [--port 3000] [--latency 0] [--data-dir DIR] [--config world.json]
 *
 * world.json (all optional):
 *   { "app": { "appId": 1, "slug": "keyfence", "publicKeyPem" | "publicKeyFile" | "privateKeyFile": "...", "webhookSecret": "...", "webhookUrl": "..." },
 *     "users": ["alice"], "installations": [{ "id": 1, "account": "acme", "accountType": "Organization" }],
 *     "repos": [{ "owner": "acme", "name": "payments", "private": false, "collaborators": { "alice": "admin" }, "files": { "README.md": "hi" } }] }
 *
 * Prints one JSON line {"url","host","apiUrl"} on stdout when ready. State: GET <url>/_sim/state[?secrets=1].
 */
import { createPublicKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { startGitHubSim } from "./index.js";
import type { Role } from "./state.js";

interface WorldConfig {
  app?: { appId: number; slug: string; publicKeyPem?: string; publicKeyFile?: string; privateKeyFile?: string; webhookSecret: string; webhookUrl?: string };
  users?: string[];
  installations?: Array<{ id: number; account: string; accountType?: "Organization" | "User" }>;
  repos?: Array<{ owner: string; name: string; private?: boolean; defaultBranch?: string; collaborators?: Record<string, Role>; files?: Record<string, string> }>;
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: process.env.GITHUB_SIM_PORT ?? "0" },
      latency: { type: "string", default: "0" },
      "data-dir": { type: "string" },
      config: { type: "string" },
    },
  });
  const sim = await startGitHubSim({ port: Number(values.port), latencyMs: Number(values.latency), dataDir: values["data-dir"] });
  if (values.config) {
    const cfg = JSON.parse(await readFile(values.config, "utf8")) as WorldConfig;
    if (cfg.app) {
      let pem = cfg.app.publicKeyPem;
      if (!pem && cfg.app.publicKeyFile) pem = await readFile(cfg.app.publicKeyFile, "utf8");
      if (!pem && cfg.app.privateKeyFile) pem = createPublicKey(await readFile(cfg.app.privateKeyFile, "utf8")).export({ type: "spki", format: "pem" }).toString();
      if (!pem) throw new Error("config.app needs publicKeyPem, publicKeyFile or privateKeyFile");
      sim.addApp({ appId: cfg.app.appId, slug: cfg.app.slug, publicKeyPem: pem, webhookSecret: cfg.app.webhookSecret, webhookUrl: cfg.app.webhookUrl });
    }
    for (const u of cfg.users ?? []) sim.addUser(u);
    for (const i of cfg.installations ?? []) sim.addInstallation(i);
    for (const r of cfg.repos ?? []) {
      await sim.addRepo(r.owner, r.name, { private: r.private, defaultBranch: r.defaultBranch });
      for (const [login, role] of Object.entries(r.collaborators ?? {})) sim.setCollaborator(r.owner, r.name, login, role);
      for (const [path, content] of Object.entries(r.files ?? {})) await sim.setFile(r.owner, r.name, path, content);
    }
  }
  process.stdout.write(JSON.stringify({ url: sim.url, host: sim.host, apiUrl: sim.apiUrl }) + "\n");
  const stop = async () => { await sim.close(); process.exit(0); };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
