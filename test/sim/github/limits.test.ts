import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { world, type World } from "./helpers.js";

const O = { owner: "acme", repo: "payments" };

describe("github sim: limits, media types, token expiry", () => {
  let w: World;
  let bigSha: string;
  beforeAll(async () => {
    w = await world();
    const files: Record<string, string> = {};
    for (let i = 0; i < 305; i++) files[`many/f${String(i).padStart(3, "0")}.txt`] = `line ${i}\n`;
    const huge = Array.from({ length: 60_000 }, (_, i) => `row ${i} ${"x".repeat(20)}`).join("\n") + "\n";
    const r = await w.sim.push("acme", "payments", { branch: "main", pusher: "bob", commits: [
      { message: "base", files: { "small.txt": "one\n" } },
      { message: "big", files: { ...files, "huge.csv": huge, "small.txt": "one\ntwo\n" } },
    ] });
    bigSha = r.after;
  });
  afterAll(async () => { await w?.close(); });

  it("commit files are paginated 300 per page; a very large diff has no patch", async () => {
    const p1 = await w.installation.repos.getCommit({ ...O, ref: bigSha });
    expect(p1.data.files).toHaveLength(300);
    expect(p1.headers.link).toContain('rel="next"');
    const p2 = await w.installation.repos.getCommit({ ...O, ref: bigSha, page: 2 });
    expect(p2.data.files).toHaveLength(307 - 300);
    const all = [...p1.data.files!, ...p2.data.files!];
    const huge = all.find((f) => f.filename === "huge.csv")!;
    expect(huge.additions).toBe(60_000);
    expect(huge.patch).toBeUndefined();
    expect(all.find((f) => f.filename === "small.txt")!.patch).toBe("@@ -1 +1,2 @@\n one\n+two");
    expect(p1.data.stats!.additions).toBe(305 + 60_000 + 1);
    const cmp = await w.installation.repos.compareCommitsWithBasehead({ ...O, basehead: `${bigSha}~1...${bigSha}` });
    expect(cmp.data.files).toHaveLength(300);
  });

  it("diff / patch media types and raw downloads", async () => {
    const diff = await w.installation.repos.getCommit({ ...O, ref: `${bigSha}~1`, mediaType: { format: "diff" } });
    expect(String(diff.data)).toContain("diff --git a/small.txt b/small.txt");
    const patch = await w.installation.repos.getCommit({ ...O, ref: `${bigSha}~1`, mediaType: { format: "patch" } });
    expect(String(patch.data)).toMatch(/^From [0-9a-f]{40} /);
    const { data } = await w.installation.repos.getContent({ ...O, path: "small.txt" });
    const res = await fetch((data as { download_url: string }).download_url);
    expect(await res.text()).toBe("one\ntwo\n");
  });

  it("installation tokens expire after one hour", async () => {
    const fresh = await w.app.apps.createInstallationAccessToken({ installation_id: 77 });
    const o = new Octokit({ baseUrl: w.sim.apiUrl, auth: fresh.data.token });
    await expect(o.repos.get(O)).resolves.toMatchObject({ status: 200 });
    w.sim.advanceClock(59 * 60_000);
    await expect(o.repos.get(O)).resolves.toMatchObject({ status: 200 });
    w.sim.advanceClock(61_000);
    const err = await o.repos.get(O).catch((e) => e);
    expect(err.status).toBe(401);
    expect(err.response.data.message).toBe("Bad credentials");
    // a JWT signed "now" is from the past for the skewed sim clock → 401, and the Date header shows the sim clock
    const jwtErr = await w.app.apps.getAuthenticated().catch((e) => e);
    expect(jwtErr.status).toBe(401);
    expect(new Date(jwtErr.response.headers.date).getTime()).toBeGreaterThan(Date.now() + 59 * 60_000);
    w.sim.advanceClock(-60 * 60_000 - 1000);
  });
});
