import { defineConfig } from "vitest/config";

/**
 * End-to-end tests: plain Node, starting `wrangler dev` and a real receiver on 127.0.0.1. The
 * browser tests (test/browser/, Chromium through playwright-core) run here too: they are short
 * and start their own service the same way.
 */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts", "test/browser/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/e2e/global-setup.ts"],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // Each file starts its own service (own port, state and secrets) and mostly waits on
    // retries, sweeps and paced sends: three files side by side keep both cores busy and the
    // suite inside its time budget. The timing checks hold under that load: paced sends woken
    // late let their slot go (delivery/gating.ts), and batching counts every filling group.
    maxWorkers: 3,
  },
});
