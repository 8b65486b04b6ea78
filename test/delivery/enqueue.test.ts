import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { enqueueDeliveries } from "../../src/delivery/enqueue";
import { newId } from "../../src/lib/ids";
import type { DeliveryTask } from "../../src/schemas/queue";

/** `count` tasks of one message, as ingest makes them. */
function tasks(count: number): DeliveryTask[] {
  const messageId = newId("msg");
  return Array.from({ length: count }, () => ({
    deliveryId: newId("dlv"),
    endpointId: newId("ep"),
    messageId,
  }));
}

// Sent with an hour's delay: the real queue takes them, and the consumer of this test runtime
// never sees them before the file ends (the tasks name no rows).
const LATER = 3600;

describe("enqueueDeliveries", () => {
  it("sends 250 tasks to the real queue as sendBatch calls of 100, 100 and 50", async () => {
    const spy = vi.spyOn(env.DELIVERIES, "sendBatch");
    const all = tasks(250);

    expect(await enqueueDeliveries(env, all, LATER)).toBe(0);

    const batches = spy.mock.calls.map(([batch]) => Array.from(batch));
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    // Every task exactly once, in order, each with the delay and as JSON.
    expect(batches.flat().map((m) => m.body)).toEqual(all);
    for (const m of batches.flat()) {
      expect(m).toMatchObject({ contentType: "json", delaySeconds: LATER });
    }
    // The chunks must be that small: the same send with 101 messages is refused (Miniflare
    // answers an opaque "Unknown Internal Error"; 100 went through just above).
    await expect(
      env.DELIVERIES.sendBatch(
        tasks(101).map((body) => ({ body, contentType: "json", delaySeconds: LATER })),
      ),
    ).rejects.toThrow();
  });

  it("counts only the tasks of a chunk the queue refused, and still sends the others", async () => {
    const spy = vi.spyOn(env.DELIVERIES, "sendBatch");
    spy.mockImplementationOnce(async () => {
      throw new Error("queue unavailable");
    });
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const all = tasks(250);

    expect(await enqueueDeliveries(env, all, LATER)).toBe(100);

    // All three chunks were tried; the other two reached the real queue (else they would count).
    expect(spy.mock.calls.map(([batch]) => Array.from(batch).length)).toEqual([100, 100, 50]);
    expect(error).toHaveBeenCalledTimes(1);
    expect(JSON.parse(String(error.mock.calls[0]?.[0]))).toEqual({
      msg: "enqueue failed; sweeper will retry",
      deliveries: 100,
      error: "Error: queue unavailable",
    });
  });
});
