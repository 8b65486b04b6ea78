import { defineConfig } from "vitest/config";

/** End-to-end tests: plain Node, starting `wrangler dev` and a real receiver on 127.0.0.1. */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
