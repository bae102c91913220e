import { createProbot } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveScope } from "../../src/pipeline/backfill.js";
import type { Deps } from "../../src/pipeline/context.js";
import { startWorld, type World } from "../../src/sim/world.js";

describe("which repositories a backfill covers", () => {
  let world: World;
  let deps: Pick<Deps, "github" | "githubApp">;
  beforeAll(async () => {
    world = await startWorld();
    await world.github.addRepo(world.org, "web");
    await world.github.addRepo(world.org, "infra", { private: true });
    world.github.addUser("solo");
    world.github.addInstallation({ id: 88, account: "solo", accountType: "User" });
    await world.github.addRepo("solo", "dotfiles");
    const probot = createProbot({ env: world.env });
    deps = {
      github: (id) => probot.auth(id) as ReturnType<Deps["github"]>,
      githubApp: () => probot.auth() as ReturnType<Deps["githubApp"]>,
    };
  }, 30_000);
  afterAll(async () => world?.close());

  const names = (ts: Array<{ installationId: number; repo: { owner: string; repo: string } }>) => ts.map((t) => `${t.installationId} ${t.repo.owner}/${t.repo.repo}`).sort();

  it("--org, --installation, --repo and --all", async () => {
    expect(names(await resolveScope(deps, { kind: "org", name: "acme" }))).toEqual(["77 acme/infra", "77 acme/payments", "77 acme/web"]);
    expect(names(await resolveScope(deps, { kind: "org", name: "solo" }))).toEqual(["88 solo/dotfiles"]);
    expect(names(await resolveScope(deps, { kind: "installation", id: 77 }))).toEqual(["77 acme/infra", "77 acme/payments", "77 acme/web"]);
    const one = await resolveScope(deps, { kind: "repo", owner: "acme", repo: "infra" });
    expect(names(one)).toEqual(["77 acme/infra"]);
    expect(one[0]!.repo).toMatchObject({ private: true, cloneUrl: expect.stringMatching(/\/acme\/infra\.git$/) });
    expect(names(await resolveScope(deps, { kind: "all" }))).toEqual(["77 acme/infra", "77 acme/payments", "77 acme/web", "88 solo/dotfiles"]);
  });
});
