import { describe, expect, it } from "vitest";
import { isRetryable } from "../src/pipeline/rotate.js";

describe("which failures the rotation retries", () => {
  it("never retries LimitExceeded, whatever the SDK thinks of it", () => {
    expect(isRetryable({ name: "LimitExceededException", $retryable: { throttling: true }, $metadata: { httpStatusCode: 409 } })).toBe(false);
    expect(isRetryable({ name: "LimitExceeded" })).toBe(false);
  });
  it("retries throttling, 5xx and network failures", () => {
    expect(isRetryable({ name: "Throttling", $metadata: { httpStatusCode: 400 } })).toBe(true);
    expect(isRetryable({ name: "ServiceFailure", $metadata: { httpStatusCode: 500 } })).toBe(true);
    expect(isRetryable({ status: 502 })).toBe(true);
    expect(isRetryable({ status: 429 })).toBe(true);
    expect(isRetryable({ code: "ECONNRESET" })).toBe(true);
  });
  it("reports what asking again will not fix", () => {
    expect(isRetryable({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } })).toBe(false);
    expect(isRetryable({ status: 404 })).toBe(false);
    expect(isRetryable({ status: 422 })).toBe(false);
  });
});
