import type { D1Migration } from "@cloudflare/vitest-pool-workers";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      TEST_DELIVERIES_B: Queue;
      TEST_DB_B: D1Database;
    }
  }
}
