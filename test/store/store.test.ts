import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/index.js";
import { BackfillStore } from "../../src/store/backfill.js";
import { dropParkedJob, parkedJobs, parkJob } from "../../src/store/parking.js";
import { recordScannedRef, scannedRefs } from "../../src/store/reconcile.js";
import { knownRepoName, noteRepoName, otherIdsOfName, renameRepoRecords } from "../../src/store/repos.js";
import { storeKinds } from "../helpers/stores.js";

describe.each(storeKinds)("store on $name", (kind) => {
  let store: Store;
  let drop: () => Promise<void>;
  beforeEach(async () => {
    ({ store, drop } = await kind.open());
  });
  afterEach(async () => drop());

  it("records a delivery once", async () => {
    expect(await store.recordDelivery("d-1", "push")).toBe(true);
    expect(await store.recordDelivery("d-1", "push")).toBe(false);
    expect(await store.recordDelivery("d-2", "push")).toBe(true);
  });

  it("records each place a key was seen once, and the key once", async () => {
    const place = { keyId: "K1", repo: "o/r", commitSha: "abc", path: "a.env", line: 3, kind: "live-candidate", secretHash: "h" };
    expect(await store.addFinding(place)).toBe(true);
    expect(await store.addFinding(place)).toBe(false);
    expect(await store.addFinding({ ...place, line: 4 })).toBe(true);
    expect(await store.findingsOf("K1", "o/r")).toHaveLength(2);
    const k1 = await store.upsertKey({ keyId: "K1", kind: "live-candidate", secretHash: null, state: "found" });
    const k2 = await store.upsertKey({ keyId: "K1", kind: "live-candidate", secretHash: "h", state: "found" });
    expect(k1.state).toBe("found");
    expect(k2.secret_hash).toBe("h");
  });

  it("lets exactly one caller claim a key, and takes a stale claim back", async () => {
    await store.upsertKey({ keyId: "K2", kind: "live-candidate", secretHash: null, state: "found" });
    const claims = await Promise.all([1, 2, 3].map(() => store.claimKey("K2", ["found"], "resolving")));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.claimKey("K2", ["found"], "resolving")).toBe(false);
    await store.updateKey("K2", { claimed_until: Date.now() - 1 });
    expect(await store.claimKey("K2", ["found"], "resolving")).toBe(true);
  });

  it("reserves an issue for one caller only", async () => {
    expect(await store.claimIssue("o/r", "K3")).toBe(true);
    expect(await store.claimIssue("o/r", "K3")).toBe(false);
    await store.recordIssue("o/r", "K3", 12);
    expect((await store.issueByNumber("o/r", 12))?.key_id).toBe("K3");
    expect(await store.claimIssue("o/r", "K3", 0)).toBe(false);
  });

  it("starts a rotation once, and again only after it failed", async () => {
    const r = { keyId: "K4", repo: "o/r", issueNumber: 1, requestedBy: "alice" };
    expect(await store.startRotation(r)).toBe(true);
    expect(await store.startRotation(r)).toBe(false);
    await store.setRotation("K4", { step: "failed", error: "x" });
    expect(await store.startRotation({ ...r, requestedBy: "carol" })).toBe(true);
    expect((await store.rotation("K4"))?.requested_by).toBe("carol");
  });

  it("holds a rotation for one worker at a time, and lets a lapsed lease go", async () => {
    await store.startRotation({ keyId: "K5", repo: "o/r", issueNumber: 1, requestedBy: "alice" });
    expect(await store.lockRotation("K5", "a", 60_000)).toBe(true);
    expect(await store.lockRotation("K5", "b", 60_000)).toBe(false);
    expect(await store.lockRotation("K5", "a", 60_000)).toBe(true);
    await store.unlockRotation("K5", "b");
    expect(await store.lockRotation("K5", "b", 60_000)).toBe(false);
    await store.unlockRotation("K5", "a");
    expect(await store.lockRotation("K5", "b", 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 5));
    expect(await store.lockRotation("K5", "c", 60_000)).toBe(true);
  });

  it("reserves the replacement of a deleted issue for one caller only", async () => {
    await store.claimIssue("o/r", "K6");
    await store.recordIssue("o/r", "K6", 3);
    const claims = await Promise.all([1, 2, 3].map(() => store.claimReplacement("o/r", "K6", 3)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    await store.recordIssue("o/r", "K6", 7);
    expect(await store.claimReplacement("o/r", "K6", 3)).toBe(false);
    expect((await store.issueFor("o/r", "K6"))?.number).toBe(7);
    // No record at all (a reservation given back): a plain reservation.
    expect(await store.claimReplacement("o/r", "K7", 5)).toBe(true);
  });

  it("moves a renamed repository's records to its new name, a record made under both kept once", async () => {
    const place = { keyId: "K8", repo: "o/old", commitSha: "c1", path: "a.env", line: 1, kind: "live-candidate", secretHash: null };
    await store.addFinding(place);
    await store.addFinding({ ...place, repo: "o/new" });
    await store.addFinding({ ...place, commitSha: "c2" });
    await store.claimIssue("o/old", "K8");
    await store.recordIssue("o/old", "K8", 4);
    await recordScannedRef(store, { repo: "o/old", ref: "refs/heads/main", sha: "s1", installationId: 1 });
    await store.logAction({ keyId: "K8", repo: "o/old", action: "issue-opened" });
    await store.startRotation({ keyId: "K8", repo: "o/old", issueNumber: 4, requestedBy: "alice" });
    const bs = new BackfillStore(store);
    await bs.openRun("run", "org:o", null);
    await bs.addRepo("run", "o/old", 1, { id: 9, owner: "o", repo: "old", htmlUrl: "https://gh.example/o/old", cloneUrl: "https://gh.example/o/old.git" });
    await noteRepoName(store, 9, "o/old");
    expect(await knownRepoName(store, 9)).toBe("o/old");
    expect(await otherIdsOfName(store, "o/old", 10)).toEqual([9]);

    await renameRepoRecords(store, "o/old", "o/new");
    await noteRepoName(store, 9, "o/new");
    expect((await store.findingsOf("K8")).map((f) => [f.repo, f.commit_sha]).sort()).toEqual([["o/new", "c1"], ["o/new", "c2"]]);
    expect(await store.issueFor("o/old", "K8")).toBeUndefined();
    expect((await store.issueByNumber("o/new", 4))?.key_id).toBe("K8");
    expect([...(await scannedRefs(store, "o/new")).entries()]).toEqual([["refs/heads/main", "s1"]]);
    expect((await store.actionsOf("K8")).map((a) => a.repo)).toEqual(["o/new"]);
    expect((await store.rotation("K8"))?.repo).toBe("o/new");
    const row = await bs.repo("run", "o/new");
    expect(JSON.parse(row!.info)).toEqual({ id: 9, owner: "o", repo: "new", htmlUrl: "https://gh.example/o/new", cloneUrl: "https://gh.example/o/new.git" });
    expect(await knownRepoName(store, 9)).toBe("o/new");
  });

  it("parks a suspended installation's job once, and gives it back", async () => {
    const job = { installationId: 77, type: "push", payload: { installationId: 77, repo: { owner: "o", repo: "r" } }, reason: "suspended" };
    expect(await parkJob(store, job)).toBe(true);
    expect(await parkJob(store, job)).toBe(false);
    expect(await parkJob(store, { ...job, installationId: 78, payload: { installationId: 78 } })).toBe(true);
    const parked = await parkedJobs(store, 77);
    expect(parked.map((p) => [p.type, p.payload])).toEqual([["push", job.payload]]);
    await dropParkedJob(store, parked[0]!.id);
    expect(await parkedJobs(store, 77)).toEqual([]);
    expect(await parkedJobs(store, 78)).toHaveLength(1);
  });
});
