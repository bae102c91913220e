import { describe, expect, it } from "vitest";
import { parseCommand } from "../../src/github/commands.js";

describe("parseCommand", () => {
  it("reads the commands on the first line", () => {
    expect(parseCommand("/rotate")).toEqual({ name: "rotate", dryRun: false });
    expect(parseCommand("  /rotate --dry-run\nthanks")).toEqual({ name: "rotate", dryRun: true });
    expect(parseCommand("/ignore it is a test fixture")).toEqual({ name: "ignore", reason: "it is a test fixture" });
    expect(parseCommand("/reactivate prod is down")).toEqual({ name: "reactivate", reason: "prod is down" });
  });
  it("ignores anything else", () => {
    expect(parseCommand("please /rotate")).toBeUndefined();
    expect(parseCommand("/rotated")).toBeUndefined();
    expect(parseCommand("LGTM\n/rotate")).toBeUndefined();
    expect(parseCommand("")).toBeUndefined();
  });
});
