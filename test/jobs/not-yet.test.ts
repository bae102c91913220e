import { describe, expect, it } from "vitest";
import { NOT_YET_WINDOW_MS, NotYet, notYetDelay } from "../../src/jobs/not-yet.js";

describe("notYetDelay", () => {
  const queued = 1_000_000;
  it("gives a waiting job its delay within the window", () => {
    expect(notYetDelay(new NotYet("held", 2_500), queued, queued + 1)).toBe(2_500);
  });
  it("counts an ordinary error, and a wait past the window, as a failure", () => {
    expect(notYetDelay(new Error("boom"), queued, queued + 1)).toBeUndefined();
    expect(notYetDelay(new NotYet("held"), queued, queued + NOT_YET_WINDOW_MS)).toBeUndefined();
  });
});
