import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/index.js";
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
});
