// Every place a key was pushed to is shown in its issue exactly once, even when the job that
// recorded it died before telling (the place is then told by the next report), and when a report
// dies between claiming places and recording that it told them (its retry tells them once).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { Store } from "../../src/store/index.js";
import { claimUntold } from "../../src/store/told.js";
import { tellKey, type RepoInfo } from "../../src/pipeline/leak.js";
import type { Deps } from "../../src/pipeline/context.js";
import type { Octokit } from "../../src/github/types.js";
import { world, ORG, REPO, type World } from "../sim/github/helpers.js";

describe("telling each place of a key once", () => {
  let w: World;
  let store: Store;
  let deps: Deps;
  const repo: RepoInfo = { owner: ORG, repo: REPO, htmlUrl: `https://github.com/${ORG}/${REPO}` };
  const name = `${ORG}/${REPO}`;
  const KEY = "AKIAQYLPMN5HHHFPZAM2";
  const opts = (reportId: string) => ({ labels: ["keyfence"], assignees: async () => [], reportId });
  const record = (path: string) => store.addFinding({ keyId: KEY, repo: name, commitSha: "c0ffee".padEnd(40, "0"), path, line: 1, kind: "live-candidate", secretHash: null });
  const comments = () => w.sim.issues(ORG, REPO)[0]!.comments.map((c) => c.body);

  beforeAll(async () => {
    w = await world();
    store = await Store.open({ dbPath: ":memory:" });
    await store.upsertKey({ keyId: KEY, kind: "live-candidate", secretHash: null, state: "contained" });
    const octokit = w.installation as unknown as Octokit;
    deps = { store, log: pino({ level: "silent" }), github: async () => octokit, githubApp: async () => octokit } as unknown as Deps;
  });
  afterAll(async () => {
    await store?.close();
    await w?.close();
  });

  it("lists the first places in the issue, and no comment repeats them", async () => {
    await record("a/.env");
    await tellKey(deps, w.installation as unknown as Octokit, repo, { keyId: KEY }, opts("push:1"));
    const issues = w.sim.issues(ORG, REPO);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.body).toContain("a/.env");
    await tellKey(deps, w.installation as unknown as Octokit, repo, { keyId: KEY }, opts("push:1"));
    expect(comments()).toEqual([]);
  });

  it("tells a place whose push job died before reporting with the next report", async () => {
    await record("b/.env"); // push:2 recorded it, then its process was killed
    await record("c/.env");
    await tellKey(deps, w.installation as unknown as Octokit, repo, { keyId: KEY }, opts("push:3"));
    expect(comments()).toHaveLength(1);
    expect(comments()[0]).toMatch(/pushed again[\s\S]*b\/\.env[\s\S]*c\/\.env/);
  });

  it("a report killed after claiming tells its places once on its retry, and no other report tells them", async () => {
    await record("d/.env");
    expect((await claimUntold(store, name, KEY, "push:4")).map((f) => f.path)).toEqual(["d/.env"]); // then killed
    await tellKey(deps, w.installation as unknown as Octokit, repo, { keyId: KEY }, opts("push:5"));
    expect(comments()).toHaveLength(1);
    await tellKey(deps, w.installation as unknown as Octokit, repo, { keyId: KEY }, opts("push:4"));
    await tellKey(deps, w.installation as unknown as Octokit, repo, { keyId: KEY }, opts("push:4"));
    expect(comments()).toHaveLength(2);
    expect(comments()[1]).toContain("d/.env");
    expect(comments()[1]).not.toContain("c/.env");
  });
});
