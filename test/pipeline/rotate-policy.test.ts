import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProbotOctokit } from "probot";
import { appOwner } from "../../src/github/app-owner.js";
import { rotateOwners, rotationRefusal } from "../../src/pipeline/rotate-policy.js";
import { world, type World } from "../sim/github/helpers.js";

// Who may receive a new key, asked of the GitHub simulator: its app is registered by "acme-sec".
describe("rotation policy", () => {
  let w: World;
  const ACCOUNT = "444455556666";
  const repoOf = (owner: string) => ({ owner, repo: "payments" });
  beforeAll(async () => {
    w = await world({ appOwner: "acme-sec" });
    w.sim.addUser("mallory");
    w.sim.addInstallation({ id: 78, account: "mallory", accountType: "User" });
    await w.sim.addRepo("mallory", "payments");
    w.sim.addInstallation({ id: 79, account: "acme-sec", accountType: "Organization" });
    await w.sim.addRepo("acme-sec", "payments");
    await w.sim.addRepo("acme-sec", "payments-fork", { forkOf: "acme/payments" });
  });
  afterAll(async () => w?.close());

  const client = (login: string) =>
    new ProbotOctokit({ baseUrl: w.sim.apiUrl, auth: { token: w.sim.userToken(login) }, retry: { enabled: false }, throttle: { enabled: false } } as never);
  const refusal = (owner: string, env: NodeJS.ProcessEnv = {}) =>
    rotationRefusal(client(owner === "mallory" ? "mallory" : "alice"), repoOf(owner), ACCOUNT, () => appOwner(w.app as never), env);

  it("by default rotates only into repositories of the account that registered the app", async () => {
    expect(await appOwner(w.app as never)).toBe("acme-sec");
    expect(await refusal("acme-sec")).toBeUndefined();
    expect(await refusal("acme")).toMatch(/only into repositories of acme-sec.*KEYFENCE_ROTATE_OWNERS maps AWS account 444455556666 to acme/);
    expect(await refusal("mallory")).toMatch(/only into repositories of acme-sec/);
  });

  it("with KEYFENCE_ROTATE_OWNERS, rotates into the owners mapped to the key's account, and only those", async () => {
    const env = { KEYFENCE_ROTATE_OWNERS: `${ACCOUNT}=acme|acme-infra,111122223333=mallory` };
    expect(await refusal("acme", env)).toBeUndefined();
    expect(await refusal("mallory", env)).toMatch(/AWS account 444455556666 is not mapped to mallory/);
    // The app's own account is not implied once a mapping is given.
    expect(await refusal("acme-sec", env)).toMatch(/not mapped to acme-sec/);
    expect(await refusal("mallory", { KEYFENCE_ROTATE_OWNERS: "*=mallory" })).toBeUndefined();
  });

  it("never rotates into a fork, even the app owner's or a mapped owner's", async () => {
    const fork = { owner: "acme-sec", repo: "payments-fork" };
    for (const env of [{}, { KEYFENCE_ROTATE_OWNERS: "*=acme-sec" }]) {
      expect(await rotationRefusal(client("alice"), fork, ACCOUNT, () => appOwner(w.app as never), env)).toMatch(/this repository is a fork/);
    }
  });

  it("rejects a malformed mapping with a clear message", () => {
    expect(() => rotateOwners({ KEYFENCE_ROTATE_OWNERS: "12345=acme" })).toThrow(/KEYFENCE_ROTATE_OWNERS: '12345=acme' must be ACCOUNT=owner\|owner/);
    expect(() => rotateOwners({ KEYFENCE_ROTATE_OWNERS: `${ACCOUNT}` })).toThrow(/must be ACCOUNT=owner/);
  });
});
