import { describe, expect, it } from "vitest";
import { defaultRepoSettings, isIgnored, parseRepoSettings } from "../src/config/repo.js";
import { loadSettings } from "../src/config/settings.js";

describe("repository settings", () => {
  it("defaults to contain, the keyfence label, maintain, and the Actions secrets", () => {
    expect(defaultRepoSettings.mode).toBe("contain");
    expect(defaultRepoSettings.labels).toEqual(["keyfence"]);
    expect(defaultRepoSettings.rotate.permission).toBe("maintain");
    expect(defaultRepoSettings.rotate.destinations).toEqual([{ actions: { id: "AWS_ACCESS_KEY_ID", secret: "AWS_SECRET_ACCESS_KEY" } }]);
  });
  it("reads a valid file", () => {
    const { settings, problems } = parseRepoSettings({
      mode: "report",
      ignore: ["test/fixtures/**"],
      rotate: { permission: "admin", destinations: [{ actions: { environment: "prod" } }, { secretsmanager: { secret_id: "prod/aws" } }] },
    });
    expect(problems).toEqual([]);
    expect(settings.mode).toBe("report");
    expect(settings.rotate.destinations[0]).toEqual({ actions: { id: "AWS_ACCESS_KEY_ID", secret: "AWS_SECRET_ACCESS_KEY", environment: "prod" } });
    expect(isIgnored(settings, "test/fixtures/a/.env")).toBe(true);
    expect(isIgnored(settings, "src/.env")).toBe(false);
  });
  it("reports every problem of an invalid file and keeps the safe defaults", () => {
    const { settings, problems } = parseRepoSettings({ mode: "nuke", labels: "x", extra: 1 });
    expect(settings).toEqual(defaultRepoSettings);
    expect(problems.join("\n")).toMatch(/mode/);
    expect(problems.join("\n")).toMatch(/labels/);
    expect(problems.join("\n")).toMatch(/extra/);
  });
});

describe("keyfence's own settings", () => {
  it("names each bad variable", () => {
    expect(() => loadSettings({ KEYFENCE_AWS_ACCOUNTS: "12,abc", PORT: "x" })).toThrow(/KEYFENCE_AWS_ACCOUNTS[\s\S]*PORT|PORT[\s\S]*KEYFENCE_AWS_ACCOUNTS/);
  });
  it("has working defaults", () => {
    const s = loadSettings({});
    expect(s.accounts).toBe("*");
    expect(s.roleName).toBe("keyfence");
    expect(loadSettings({ KEYFENCE_AWS_ACCOUNTS: "111122223333, 444455556666" }).accounts).toEqual(["111122223333", "444455556666"]);
  });
});
