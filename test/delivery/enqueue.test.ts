import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { enqueueTasks, wakeTasks } from "../../src/delivery/enqueue";
import { newId } from "../../src/lib/ids";
import type { QueueTask } from "../../src/schemas/queue";

/**
 * `count` wake tasks for endpoints that do not exist: the real queue takes them and this test
 * runtime's consumer hands out nothing for them (no open rows), so nothing else changes.
 */
function tasks(count: number): QueueTask[] {
  return wakeTasks(Array.from({ length: count }, () => [newId("ep"), newId("app")] as const));
}

describe("enqueueTasks", () => {
  it("sends 250 tasks to the real queue as sendBatch calls of 100, 100 and 50", async () => {
    const spy = vi.spyOn(env.DELIVERIES, "sendBatch");
    const all = tasks(250);

    expect(await enqueueTasks(env, all)).toBe(0);

    const batches = spy.mock.calls.map(([batch]) => Array.from(batch));
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    // Every task exactly once, in order, as JSON.
    expect(batches.flat().map((m) => m.body)).toEqual(all);
    for (const m of batches.flat()) expect(m).toMatchObject({ contentType: "json" });
    // The chunks must be that small: the same send with 101 messages is refused (Miniflare
    // answers an opaque "Unknown Internal Error"; 100 went through just above).
    await expect(
      env.DELIVERIES.sendBatch(tasks(101).map((body) => ({ body, contentType: "json" }))),
    ).rejects.toThrow();
  });

  it("counts only the tasks of a chunk the queue refused, and still sends the others", async () => {
    const spy = vi.spyOn(env.DELIVERIES, "sendBatch");
    spy.mockImplementationOnce(async () => {
      throw new Error("queue unavailable");
    });
    const logged = vi.spyOn(console, "log");
    const all = tasks(250);

    expect(await enqueueTasks(env, all)).toBe(100);

    // All three chunks were tried; the other two reached the real queue (else they would count).
    expect(spy.mock.calls.map(([batch]) => Array.from(batch).length)).toEqual([100, 100, 50]);
    const lines = logged.mock.calls.map(([line]) => String(line));
    expect(lines.map((l) => JSON.parse(l))).toContainEqual({
      msg: "enqueue failed; the sweeper will hand these out",
      tasks: 100,
      error: "Error: queue unavailable",
    });
  });

  it("wakes each endpoint once however often it is named", () => {
    expect(
      wakeTasks([
        ["ep_a", "app_1"],
        ["ep_b", "app_1"],
        ["ep_a", "app_1"],
      ]),
    ).toEqual([
      { kind: "wake", endpointId: "ep_a", appId: "app_1" },
      { kind: "wake", endpointId: "ep_b", appId: "app_1" },
    ]);
  });
});
