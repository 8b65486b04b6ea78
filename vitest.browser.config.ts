import { defineConfig } from "vitest/config";

/**
 * Browser tests alone (`npm run test:browser`): plain Node, starting `wrangler dev` through the
 * e2e harness and driving Debian's Chromium with playwright-core. `npm test` runs them within
 * the e2e run (vitest.e2e.config.ts), so they share its two workers instead of adding a step.
 */
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/e2e/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
