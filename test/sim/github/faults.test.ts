import { Octokit } from "@octokit/rest";
import { ProbotOctokit } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { world, type World } from "./helpers.js";

const O = { owner: "acme", repo: "payments" };

describe("github sim: faults, latency, deliveries", () => {
  let w: World;
  beforeAll(async () => { w = await world(); });
  afterAll(async () => { await w?.close(); });

  it("injects a secondary rate limit (403 + retry-after) a limited number of times", async () => {
    w.sim.fail({ method: "POST", path: /\/issues$/, status: 403, headers: { "retry-after": "1" }, times: 1 });
    const err = await w.installation.issues.create({ ...O, title: "x" }).catch((e) => e);
    expect(err.status).toBe(403);
    expect(err.response.headers["retry-after"]).toBe("1");
    expect(err.response.data.message).toMatch(/secondary rate limit/);
    expect(err.response.data.documentation_url).toMatch(/secondary-rate-limits/);
    await expect(w.installation.issues.create({ ...O, title: "x" })).resolves.toMatchObject({ status: 201 });
    w.sim.fail({ path: "/repos/acme/payments", status: 429, headers: { "retry-after": "2" }, times: 2 });
    await expect(w.installation.repos.get(O)).rejects.toMatchObject({ status: 429 });
    await expect(w.installation.repos.get(O)).rejects.toMatchObject({ status: 429 });
    await expect(w.installation.repos.get(O)).resolves.toMatchObject({ status: 200 });
    w.sim.fail({ path: /access_tokens/, status: 500, body: { message: "boom" } });
    await expect(w.app.apps.createInstallationAccessToken({ installation_id: 77 })).rejects.toMatchObject({ status: 500 });
    await expect(w.app.apps.createInstallationAccessToken({ installation_id: 77 })).rejects.toMatchObject({ status: 500 }); // unlimited by default
    w.sim.clearFaults();
    await expect(w.app.apps.createInstallationAccessToken({ installation_id: 77 })).resolves.toMatchObject({ status: 201 });
    const logged = w.sim.requests.filter((r) => r.path === "/api/v3/repos/acme/payments").map((r) => r.status);
    expect(logged).toEqual([429, 429, 200]);
  });

  it("Probot's Octokit (throttling + retry plugins) recognises the sim's secondary rate limit and retries", async () => {
    const o = new ProbotOctokit({ auth: { token: w.token }, baseUrl: w.sim.apiUrl, throttle: { enabled: true, fallbackSecondaryRateRetryAfter: 1, onSecondaryRateLimit: (_after: number, _opts: unknown, _o: unknown, retryCount: number) => retryCount < 2, onRateLimit: () => false } } as never);
    w.sim.fail({ method: "POST", path: /\/issues\/1\/comments$/, status: 403, headers: { "retry-after": "1" }, times: 1 });
    const t0 = Date.now();
    const res = await o.rest.issues.createComment({ ...O, issue_number: 1, body: "after a pause" });
    expect(res.status).toBe(201);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const statuses = w.sim.requests.filter((r) => r.method === "POST" && r.path.endsWith("/issues/1/comments")).map((r) => r.status).slice(-2);
    expect(statuses).toEqual([403, 201]);
  });

  it("opt-in content-creation secondary rate limit", async () => {
    w.sim.setContentRateLimit(3);
    for (let i = 0; i < 3; i++) await w.installation.issues.createComment({ ...O, issue_number: 1, body: `c${i}` });
    const err = await w.installation.issues.createComment({ ...O, issue_number: 1, body: "too many" }).catch((e) => e);
    expect(err.status).toBe(403);
    expect(Number(err.response.headers["retry-after"])).toBeGreaterThan(0);
    expect(err.response.data.message).toMatch(/secondary rate limit/);
    await expect(w.installation.issues.get({ ...O, issue_number: 1 })).resolves.toMatchObject({ status: 200 }); // reads are fine
    w.sim.setContentRateLimit(undefined);
    await expect(w.installation.issues.createComment({ ...O, issue_number: 1, body: "ok" })).resolves.toMatchObject({ status: 201 });
  });

  it("rejects bodies over GitHub's 65536-character limit", async () => {
    const err = await w.installation.issues.createComment({ ...O, issue_number: 1, body: "x".repeat(65537) }).catch((e) => e);
    expect(err.status).toBe(422);
    expect(err.response.data.errors[0]).toMatchObject({ resource: "IssueComment", field: "body", code: "custom" });
    await expect(w.installation.issues.create({ ...O, title: "t".repeat(257) })).rejects.toMatchObject({ status: 422 });
  });

  it("adds latency", async () => {
    w.sim.setLatency(150);
    const t0 = Date.now();
    await w.installation.repos.get(O);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    w.sim.setLatency(0);
  });

  it("rate-limit headers like GitHub's", async () => {
    const { headers } = await w.installation.repos.get(O);
    expect(headers["x-ratelimit-limit"]).toBe("5000");
    expect(Number(headers["x-ratelimit-remaining"])).toBeLessThan(5000);
    expect(headers["x-ratelimit-resource"]).toBe("core");
    expect(headers["x-github-request-id"]).toBeTruthy();
  });

  it("records deliveries and redelivers with the same delivery id and body", async () => {
    w.hooks.status = 500;
    await w.sim.push("acme", "payments", { branch: "main", pusher: "bob", commits: [{ message: "m", files: { "a.txt": "a" } }] });
    await w.sim.idle();
    const d = w.sim.deliveries.find((x) => x.event === "push")!;
    expect(d.status).toBe(500);
    w.hooks.status = 202;
    const status = await w.sim.redeliver(d.id);
    expect(status).toBe(202);
    const got = w.hooks.of("push");
    expect(got).toHaveLength(2);
    expect(got[1].headers["x-github-delivery"]).toBe(got[0].headers["x-github-delivery"]);
    expect(got[1].body).toBe(got[0].body);
    expect(got[1].headers["x-hub-signature-256"]).toBe(got[0].headers["x-hub-signature-256"]);
  });

  it("records a delivery error when the webhook endpoint is down", async () => {
    w.sim.setWebhookUrl("http://127.0.0.1:9/unreachable");
    await w.sim.comment("acme", "payments", 1, "alice", "hello");
    await w.sim.idle();
    const d = w.sim.deliveries.at(-1)!;
    expect(d).toMatchObject({ event: "issue_comment", action: "created" });
    expect(d.status).toBeUndefined();
    expect(d.error).toBeTruthy();
    w.sim.setWebhookUrl(w.hooks.url);
  });

  it("/_sim/state exposes issues, check runs and deliveries to other processes", async () => {
    const state = await (await fetch(`${w.sim.url}/_sim/state`)).json();
    const repo = state.repos.find((r: any) => r.full_name === "acme/payments");
    expect(repo.issues[0]).toMatchObject({ number: 1, title: "x", user: "keyfence[bot]" });
    expect(repo.issues[0].comments.at(-1)).toMatchObject({ user: "alice", body: "hello" });
    expect(state.deliveries.length).toBe(w.sim.deliveries.length);
    const anon = new Octokit({ baseUrl: w.sim.apiUrl });
    await expect(anon.issues.create({ ...O, title: "anon" })).rejects.toMatchObject({ status: 401 });
  });
});
