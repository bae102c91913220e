import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BackfillStore, WORKER_ID } from "../../src/store/backfill.js";
import type { Store } from "../../src/store/index.js";
import { storeKinds } from "../helpers/stores.js";

describe.each(storeKinds)("backfill progress on $name", (kind) => {
  let store: Store;
  let drop: () => Promise<void>;
  let bs: BackfillStore;
  beforeEach(async () => {
    ({ store, drop } = await kind.open());
    bs = new BackfillStore(store);
  });
  afterEach(async () => drop());

  it("keeps a run per scope, a row per repository, and lets one worker at a time scan it", async () => {
    expect((await bs.openRun("org:acme", "org:acme", null)).created).toBe(true);
    expect((await bs.openRun("org:acme", "org:acme", null)).created).toBe(false);
    expect(await bs.addRepo("org:acme", "acme/a", 77, { owner: "acme", repo: "a" })).toBe(true);
    expect(await bs.addRepo("org:acme", "acme/a", 77, { owner: "acme", repo: "a" })).toBe(false);
    await bs.addRepo("org:acme", "acme/b", 77, { owner: "acme", repo: "b" });

    expect(await bs.claimRepo("org:acme", "acme/a", 60_000)).toBe(true);
    // Held by this live process: not taken again.
    expect(await bs.claimRepo("org:acme", "acme/a", 60_000)).toBe(false);
    const a = (await bs.repo("org:acme", "acme/a"))!;
    expect(a).toMatchObject({ state: "running", owner: WORKER_ID, scans: 1, installation_id: 77 });

    await bs.heartbeat("org:acme", "acme/a", 60_000, { blobs: 10, bytes: 2048 });
    await bs.finishRepo("org:acme", "acme/a", { blobs: 12, bytes: 4096, findings: 1, mode: "contain" });
    expect(await bs.claimRepo("org:acme", "acme/a", 60_000)).toBe(false);
    expect(await bs.repo("org:acme", "acme/a")).toMatchObject({ state: "done", blobs: 12, bytes: 4096, findings: 1, scans: 1 });

    await bs.addFinding({
      run_id: "org:acme",
      repo: "acme/a",
      key_id: "AKIAQWERTYZXCVBN2345",
      redacted: "AKIA…2345",
      kind: "live-candidate",
      commit_sha: "a".repeat(40),
      path: "x.env",
      line: 3,
      col: 1,
      author: "Eve",
      author_email: "eve@example.org",
      authored_at: "2020-01-01T00:00:00.000Z",
    });
    await bs.addFinding({ ...(await bs.findings("org:acme"))[0]! });
    expect(await bs.findings("org:acme")).toHaveLength(1);
  });

  it("takes over a repository whose worker is gone or whose lease ran out", async () => {
    await bs.openRun("r", "all", "report");
    await bs.addRepo("r", "acme/a", 1, {});
    await bs.addRepo("r", "acme/b", 1, {});
    // A worker of this host that no longer runs (no such pid).
    await store.db.updateTable("backfill_repos").set({ state: "running", owner: `${WORKER_ID.split(":")[0]}:999999`, lease_until: Date.now() + 600_000 }).where("repo", "=", "acme/a").execute();
    expect(await bs.claimRepo("r", "acme/a", 60_000)).toBe(true);
    // A worker of another host, still within its lease: left alone; once it expires, taken.
    await store.db.updateTable("backfill_repos").set({ state: "running", owner: "elsewhere:1", lease_until: Date.now() + 600_000 }).where("repo", "=", "acme/b").execute();
    expect(await bs.claimRepo("r", "acme/b", 60_000)).toBe(false);
    await store.db.updateTable("backfill_repos").set({ lease_until: Date.now() - 1 }).where("repo", "=", "acme/b").execute();
    expect(await bs.claimRepo("r", "acme/b", 60_000)).toBe(true);
    expect((await bs.repo("r", "acme/b"))!.scans).toBe(1);
    // A failed repository is retried when the run is planned again.
    await bs.failRepo("r", "acme/b", "boom");
    await bs.addRepo("r", "acme/b", 1, {});
    expect((await bs.repo("r", "acme/b"))!.state).toBe("pending");
    await bs.dropRun("r");
    expect(await bs.repos("r")).toEqual([]);
  });
});
