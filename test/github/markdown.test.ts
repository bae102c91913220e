import { describe, expect, it } from "vitest";
import { code, plain } from "../../src/github/markdown.js";

describe("markdown neutralisation", () => {
  it("keeps a path with backticks inside one code span", () => {
    const c = code("a`b``c.txt");
    expect(c.startsWith("```")).toBe(true);
    expect(c.endsWith("```")).toBe(true);
    expect(c.slice(3, -3)).toBe("a`b``c.txt");
  });
  it("cannot be broken out of with newlines", () => {
    expect(code("x\n# heading\n@admin")).not.toMatch(/\n/);
  });
  it("defuses mentions, links and HTML in plain text", () => {
    const p = plain("@org/team see [x](https://evil.example) <img src=x>");
    expect(p).not.toMatch(/@[a-z]/);
    expect(p).not.toContain("](");
    expect(p).not.toContain("<img");
    expect(p).not.toContain("https://");
  });
});
