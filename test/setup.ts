import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, vi } from "vitest";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// Miniflare runs the real queue consumers for messages tests enqueue, and they make outbound
// requests. By default every receiver answers 200; a test that needs another receiver installs
// its own implementation on the same spy.
beforeEach(() => {
  vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("ok"));
});
afterEach(() => {
  vi.restoreAllMocks();
});
