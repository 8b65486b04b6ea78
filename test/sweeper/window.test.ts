import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { settings } from "../../src/config";
import { retryWindowMs } from "../../src/delivery/retry";
import { sweep } from "../../src/sweeper/sweep";
import { deadLetterOf, deliveryRow, seedDeliveries } from "../delivery/fixtures";
import { newApp, newEndpoint } from "../helpers";

describe("the retry window", () => {
  it("ends a delivery past its window plus the grace even when the gate keeps re-parking it (due again now)", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://window.example.com/hook" });
    const cfg = settings(env);
    const windowMs = retryWindowMs(cfg.retrySchedule, cfg.requestTimeoutMs);
    const now = Date.now();
    const firstTry = now - windowMs - cfg.sweepGraceS * 1000 - 1_000;
    const [task] = await seedDeliveries(appId, [ep.id], { n: 1 }, firstTry);
    if (!task) throw new Error("seeding failed");
    // Tried once long ago, and just parked again by its gate: due now, not overdue.
    await env.DB.prepare(
      `INSERT INTO open_deliveries (endpoint_id, message_id, app_id, state, attempts, total_attempts,
         first_attempt_at, due_at, created_at) VALUES (?, ?, ?, 'waiting', 1, 1, ?, ?, ?)`,
    )
      .bind(ep.id, task.messageId, appId, firstTry, now, firstTry)
      .run();
    const report = await sweep(env, now);
    expect(report.expired).toBeGreaterThanOrEqual(1);
    expect(await deadLetterOf(task.deliveryId)).toMatchObject({ reason: "expired", attempts: 1 });
    expect(await deliveryRow(task.deliveryId)).toMatchObject({ status: "dead", state: null });
  });
});
