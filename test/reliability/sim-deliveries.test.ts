import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, responseValidator } from "../sim/github/openapi.js";
import { world, type World } from "../sim/github/helpers.js";

// The simulator's app webhook deliveries API and matching-refs, as GitHub documents them: the
// shapes keyfence's redelivery and ref sweep rely on, checked against GitHub's OpenAPI description.
describe("github sim: webhook deliveries API and matching-refs", () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
  });
  afterAll(async () => w?.close());

  it("lists failed and successful attempts, redelivers under the same guid, pages with a cursor", async () => {
    w.hooks.status = 503;
    await w.sim.push("acme", "payments", { branch: "main", pusher: "bob", commits: [{ message: "one", files: { "a.txt": "a\n" } }] });
    await w.sim.idle();
    w.hooks.status = 200;
    const list = await w.app.request("GET /app/hook/deliveries", { per_page: 100 });
    expect(check(responseValidator("GET", "/app/hook/deliveries", 200), list.data)).toEqual([]);
    const failed = list.data.find((d) => d.event === "push")!;
    expect(failed.status_code).toBe(503);
    expect((await w.app.request("GET /app/hook/deliveries", { status: "failure" })).data.map((d) => d.id)).toContain(failed.id);
    const one = await w.app.request("GET /app/hook/deliveries/{delivery_id}", { delivery_id: Number(failed.id) });
    expect(check(responseValidator("GET", "/app/hook/deliveries/{delivery_id}", 200), one.data)).toEqual([]);
    const again = await w.app.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: Number(failed.id) });
    expect(again.status).toBe(202);
    await w.sim.idle();
    const after = (await w.app.request("GET /app/hook/deliveries", { per_page: 100 })).data.filter((d) => d.guid === failed.guid);
    expect(after.map((d) => [d.redelivery, d.status_code])).toEqual([[true, 200], [false, 503]]);
    expect(w.hooks.of("push").map((r) => r.headers["x-github-delivery"])).toEqual([failed.guid, failed.guid]);
    // Cursor paging: one per page, newest first, no repeats.
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await w.app.request("GET /app/hook/deliveries", { per_page: 1, ...(cursor ? { cursor } : {}) });
      seen.push(...page.data.map((d) => Number(d.id)));
      const next = /<([^>]+)>;\s*rel="next"/.exec(page.headers.link ?? "")?.[1];
      if (!next) break;
      cursor = new URL(next).searchParams.get("cursor")!;
    }
    const all = (await w.app.request("GET /app/hook/deliveries", { per_page: 100 })).data.map((d) => Number(d.id));
    expect(seen).toEqual(all);
    // App JWT only.
    await expect(w.installation.request("GET /app/hook/deliveries")).rejects.toMatchObject({ status: 401 });
  });

  it("a delivery that got no answer is status_code 0; matching-refs lists the refs", async () => {
    w.sim.setWebhookUrl("http://127.0.0.1:9/nothing-listens-here");
    await w.sim.push("acme", "payments", { branch: "main", pusher: "bob", commits: [{ message: "two", files: { "b.txt": "b\n" } }] });
    await w.sim.idle();
    const latest = (await w.app.request("GET /app/hook/deliveries", { per_page: 1 })).data[0]!;
    expect([latest.status_code, latest.status]).toEqual([0, "failed to connect"]);
    const refs = await w.installation.request("GET /repos/{owner}/{repo}/git/matching-refs/{ref}", { owner: "acme", repo: "payments", ref: "heads" });
    expect(check(responseValidator("GET", "/repos/{owner}/{repo}/git/matching-refs/{ref}", 200), refs.data)).toEqual([]);
    expect(refs.data.map((r) => r.ref)).toEqual(["refs/heads/main"]);
  });
});
