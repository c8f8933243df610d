import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // One embedded database per worker process, shared by the files that worker runs; tests
    // isolate themselves by creating a fresh tenant (company) each. See test/harness.ts.
    pool: "forks",
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
  },
});
