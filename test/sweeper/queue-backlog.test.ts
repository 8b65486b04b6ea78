import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { sweep } from "../../src/sweeper/sweep";
import { deliveryRow, seedDeliveries } from "../delivery/fixtures";
import { newApp, newEndpoint } from "../helpers";

describe("the sweeper and a queue backlog", () => {
  it("does not take a first try still waiting in the queue for a lost one", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://backlog.example.com/hook" });
    // The real binding answers its backlog (what the sweeper asks)...
    const real = await env.DELIVERIES.metrics();
    expect(typeof real.backlogCount).toBe("number");
    // ...here made to hold a message sent just now (the test runtime's consumer empties the
    // real queue too fast to rely on): everything sent after it may still be in the queue.
    vi.spyOn(env.DELIVERIES, "metrics").mockResolvedValue({
      backlogCount: 1_000,
      backlogBytes: 500_000,
      oldestMessageTimestamp: new Date(),
    });
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("seeding failed");
    // Five minutes on, past the grace: without the queue's word this would count as lost.
    const later = Date.now() + 5 * 60_000;
    const report = await sweep(env, later);
    expect(report.requeued).toBe(0);
    expect(await deliveryRow(task.deliveryId)).toMatchObject({ status: "pending", state: null });
  });

  it("takes it for lost when the queue is empty (or cannot say)", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://backlog.example.com/hook" });
    vi.spyOn(env.DELIVERIES, "metrics").mockResolvedValue({ backlogCount: 0, backlogBytes: 0 });
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("seeding failed");
    const report = await sweep(env, Date.now() + 5 * 60_000);
    expect(report.requeued).toBeGreaterThanOrEqual(1);
    expect(await deliveryRow(task.deliveryId)).toMatchObject({ state: "waiting" });
  });
});
