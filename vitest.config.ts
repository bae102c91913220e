import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Most test files wait on simulated GitHub and AWS (Probot spaces GitHub writes by a second), so
    // three files at a time on two cores halves the suite's wall time. Vitest's default is cores − 1.
    maxWorkers: 3,
    // Every harness drops what keyfence wrote and showed into a sink, searched for secrets at the end.
    globalSetup: ["test/setup/no-secret-sweep.ts"],
  },
});
