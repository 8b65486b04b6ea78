import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/** Tests that run inside workerd on real Miniflare D1, Queues and Durable Objects. */
export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        main: "./src/index.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            ADMIN_TOKEN: "test-admin-token",
            // 32 bytes of zeros is fine for tests; production generates a random key.
            ENCRYPTION_KEY: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ALLOW_INSECURE_TARGETS: "true",
            // Outbound fetch is the receiver's in unit tests; the DNS tests turn it back on.
            DNS_CHECK: "false",
            RETRY_SCHEDULE: "5,300,1800,7200,18000,36000,36000",
          },
          // A second delivery queue (no consumer here) and a second database: topology tests hand
          // them to the code as `DELIVERIES_1` and `DB_1`, a deployment's second queue and shard,
          // without changing every other test's shape.
          queueProducers: { TEST_DELIVERIES_B: { queueName: "hooklane-test-deliveries-b" } },
          d1Databases: { TEST_DB_B: "hooklane-test-shard-b" },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      exclude: ["test/e2e/**", "test/browser/**"],
      setupFiles: ["./test/setup.ts"],
      testTimeout: 20_000,
      // Each file gets its own workerd with its own storage; two at a time keep both cores busy
      // (Vitest would otherwise run one file at a time on a 2-core machine).
      maxWorkers: 2,
    },
  };
});
