import { generateKeyPairSync } from "node:crypto";
import { Octokit } from "@octokit/rest";
import { Probot, ProbotOctokit } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_ID, appJwt, INSTALLATION_ID, privateKeyPem, world, type World } from "./helpers.js";

describe("github sim: app auth", () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
    w.sim.addInstallation({ id: 78, account: "other", accountType: "Organization" });
    await w.sim.addRepo("other", "secret-stuff", { private: true });
    await w.sim.addRepo("acme", "private-one", { private: true });
  });
  afterAll(async () => { await w?.close(); });

  it("GET /app and /app/installations with the JWT", async () => {
    const { data: app } = await w.app.apps.getAuthenticated();
    expect(app?.id).toBe(APP_ID);
    expect(app?.slug).toBe("keyfence");
    const { data: insts } = await w.app.apps.listInstallations();
    expect(insts.map((i) => i.id).sort()).toEqual([INSTALLATION_ID, 78]);
    expect(insts.find((i) => i.id === INSTALLATION_ID)?.account?.login).toBe("acme");
    const { data: byRepo } = await w.app.apps.getRepoInstallation({ owner: "acme", repo: "payments" });
    expect(byRepo.id).toBe(INSTALLATION_ID);
  });

  it("issues an installation token valid for one hour", async () => {
    const res = await w.app.apps.createInstallationAccessToken({ installation_id: INSTALLATION_ID });
    expect(res.status).toBe(201);
    expect(res.data.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    const ttl = new Date(res.data.expires_at).getTime() - Date.now();
    expect(ttl).toBeGreaterThan(59 * 60_000);
    expect(ttl).toBeLessThanOrEqual(60 * 60_000);
    expect(res.data.repository_selection).toBe("all");
    expect(res.data.permissions).toMatchObject({ issues: "write", secrets: "write", checks: "write" });
    const scoped = await w.app.apps.createInstallationAccessToken({ installation_id: INSTALLATION_ID, repositories: ["payments"] });
    expect(scoped.data.repository_selection).toBe("selected");
    const o = new Octokit({ baseUrl: w.sim.apiUrl, auth: scoped.data.token });
    await expect(o.repos.get({ owner: "acme", repo: "private-one" })).rejects.toMatchObject({ status: 404 });
    await expect(o.repos.get({ owner: "acme", repo: "payments" })).resolves.toMatchObject({ status: 200 });
  });

  it("rejects bad JWTs with 401", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    for (const jwt of [appJwt({ key: other }), appJwt({ exp: Math.floor(Date.now() / 1000) - 10 }), appJwt({ iss: 999 }), appJwt({ exp: Math.floor(Date.now() / 1000) + 3600 })]) {
      const o = new Octokit({ baseUrl: w.sim.apiUrl, auth: jwt });
      const err = await o.apps.createInstallationAccessToken({ installation_id: INSTALLATION_ID }).catch((e) => e);
      expect(err.status).toBe(401);
      expect(err.response.data.documentation_url).toMatch(/^https:\/\/docs\.github\.com/);
    }
    const bad = new Octokit({ baseUrl: w.sim.apiUrl, auth: "ghs_notarealtokennotarealtokennotarealtok" });
    const err = await bad.repos.get({ owner: "acme", repo: "payments" }).catch((e) => e);
    expect(err.status).toBe(401);
    expect(err.response.data).toEqual({ message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" });
  });

  it("an installation token only sees its installation's repositories", async () => {
    const err = await w.installation.repos.get({ owner: "other", repo: "secret-stuff" }).catch((e) => e);
    expect(err.status).toBe(404);
    expect(err.response.data).toEqual({ message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" });
    const { data } = await w.installation.apps.listReposAccessibleToInstallation();
    expect(data.repositories.map((r) => r.full_name).sort()).toEqual(["acme/payments", "acme/private-one"]);
    const { data: repo } = await w.installation.repos.get({ owner: "acme", repo: "private-one" });
    expect(repo.private).toBe(true);
    const anon = new Octokit({ baseUrl: w.sim.apiUrl });
    await expect(anon.repos.get({ owner: "acme", repo: "private-one" })).rejects.toMatchObject({ status: 404 });
    await expect(anon.repos.get({ owner: "acme", repo: "payments" })).resolves.toMatchObject({ status: 200 });
  });

  it("works with Probot's own app authentication (GHE base URL)", async () => {
    const probot = new Probot({ appId: APP_ID, privateKey: privateKeyPem, secret: w.secret, baseUrl: w.sim.apiUrl, Octokit: ProbotOctokit });
    const octokit = await probot.auth(INSTALLATION_ID);
    const { data } = await octokit.rest.repos.get({ owner: "acme", repo: "payments" });
    expect(data.full_name).toBe("acme/payments");
    const appOctokit = await probot.auth();
    const { data: app } = await appOctokit.rest.apps.getAuthenticated();
    expect(app?.slug).toBe("keyfence");
    expect(w.sim.requests.some((r) => r.path === `/api/v3/app/installations/${INSTALLATION_ID}/access_tokens` && r.status === 201)).toBe(true);
  });

  it("unknown endpoints answer 404 in GitHub's shape", async () => {
    const res = await fetch(`${w.sim.apiUrl}/repos/acme/payments/does-not-exist`, { headers: { authorization: `token ${w.token}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" });
  });
});
