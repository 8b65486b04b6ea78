import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { QueueTask } from "../../src/schemas/queue";
import { sweep } from "../../src/sweeper/sweep";
import { newApp, newEndpoint } from "../helpers";
import {
  attemptRows,
  deadLetterOf,
  deliveryRow,
  receiver,
  runConsumer,
  seedDeliveries,
} from "./fixtures";

/**
 * Faults around a consumer batch, injected into the real bindings (D1 and the queue answer
 * everything else for real): what went out is never sent again because of them, and an outage
 * is recorded as what it was.
 */

/** Makes every D1 batch that writes to the attempt log fail, as a D1 outage would. */
function failLogWrites() {
  const batch = env.DB.batch.bind(env.DB);
  return vi.spyOn(env.DB, "batch").mockImplementation(async (statements) => {
    const sql = JSON.stringify(
      statements.map((s) => (s as unknown as { statement?: string }).statement ?? ""),
    );
    if (sql.includes("INSERT INTO attempt_log"))
      throw new Error("D1_ERROR: injected: database unavailable");
    return batch(statements);
  });
}

/** Catches what the consumer sends to DELIVERIES instead of letting the test runtime consume it. */
function catchSends() {
  const sent: { body: QueueTask; delaySeconds?: number }[] = [];
  vi.spyOn(env.DELIVERIES, "sendBatch").mockImplementation(async (messages) => {
    for (const m of messages)
      sent.push({ body: m.body as QueueTask, delaySeconds: m.delaySeconds });
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
  });
  return sent;
}

const logLines = () => {
  const spy = vi.spyOn(console, "log");
  return () => spy.mock.calls.map(([line]) => String(line));
};

describe("faults in and around a batch", () => {
  it("D1 refusing the outcomes after the requests went out sends nothing again: the outcomes are recorded later", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://faults.example.com/hook" });
    const seen = receiver(() => new Response("ok"));
    const tasks = [
      ...(await seedDeliveries(appId, [ep.id], { n: 1 })),
      ...(await seedDeliveries(appId, [ep.id], { n: 2 })),
    ];
    const failing = failLogWrites();
    const sent = catchSends();
    const lines = logLines();

    const first = await runConsumer(tasks);
    failing.mockRestore();

    expect(seen).toHaveLength(2);
    // Acked, not retried: a retry would send both again.
    expect(first.retryMessages).toEqual([]);
    expect(first.explicitAcks.sort()).toEqual(["q0", "q1"]);
    const records = sent.filter((s) => s.body.kind === "record");
    expect(records.length).toBeGreaterThan(0);
    expect(lines().some((l) => l.includes('"kind":"d1_unavailable"'))).toBe(true);
    for (const t of tasks) expect(await attemptRows(t.deliveryId)).toEqual([]);

    // A later batch writes them; nothing goes out.
    const later = await runConsumer(records.map((r) => r.body));
    expect(later.explicitAcks).toHaveLength(records.length);
    expect(seen).toHaveLength(2);
    for (const t of tasks) {
      expect(await deliveryRow(t.deliveryId)).toMatchObject({
        status: "succeeded",
        total_attempts: 1,
      });
    }
    // A late copy of a first try finds its outcome and is not sent.
    await runConsumer([tasks[0]]);
    expect(seen).toHaveLength(2);
  });

  it("D1 unavailable before anything was sent hands the batch back as new queue messages, not counted toward consumer_crash", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://faults.example.com/hook" });
    const seen = receiver(() => new Response("ok"));
    const tasks = await seedDeliveries(appId, [ep.id]);
    const batch = env.DB.batch.bind(env.DB);
    const down = vi.spyOn(env.DB, "batch").mockImplementation(async () => {
      throw new Error("D1_ERROR: Network connection lost.");
    });
    const sent = catchSends();
    const lines = logLines();

    const result = await runConsumer(tasks);
    down.mockRestore();
    void batch;

    expect(seen).toHaveLength(0);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toEqual(["q0"]);
    expect(sent).toEqual([{ body: tasks[0], delaySeconds: 30 }]);
    expect(lines().some((l) => l.includes('"kind":"d1_unavailable"'))).toBe(true);

    // Once D1 answers, the handed-back task delivers as usual.
    await runConsumer(sent.map((s) => s.body));
    expect(seen).toHaveLength(1);
  });

  it("with D1 and the queue both down, the queue's own retry keeps the batch", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://faults.example.com/hook" });
    receiver(() => new Response("ok"));
    const tasks = await seedDeliveries(appId, [ep.id]);
    const down = vi.spyOn(env.DB, "batch").mockImplementation(async () => {
      throw new Error("D1_ERROR: Network connection lost.");
    });
    vi.spyOn(env.DELIVERIES, "sendBatch").mockRejectedValue(new Error("queue unavailable"));
    const lines = logLines();

    const result = await runConsumer(tasks);
    down.mockRestore();

    // (The test runtime's queue result lists retried ids, not their delay.)
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["q0"]);
    expect(result.explicitAcks).toEqual([]);
    expect(lines().some((l) => l.includes('"kind":"queue_unavailable"'))).toBe(true);
  });

  it("a bug (not an outage) still goes to the queue's retry, where max_retries ends it", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://faults.example.com/hook" });
    const tasks = await seedDeliveries(appId, [ep.id]);
    vi.spyOn(env.DB, "batch").mockImplementation(async () => {
      throw new TypeError("Cannot read properties of undefined");
    });
    await expect(runConsumer(tasks)).rejects.toThrow("Cannot read properties");
  });

  it("a success that races the sweeper's expiry ends succeeded, with no dead letter left to replay", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://faults.example.com/hook" });
    // An old first try, still in flight when the sweeper gives up on it.
    const [task] = await seedDeliveries(appId, [ep.id], { n: 1 }, Date.now() - 10 * 60_000);
    if (!task) throw new Error("seeding failed");
    const muchLater = Date.now() + 3 * 86_400_000;
    const seen = receiver(async () => {
      const report = await sweep(env, muchLater);
      expect(report.expired).toBeGreaterThanOrEqual(1);
      expect(await deadLetterOf(task.deliveryId)).toMatchObject({ reason: "expired" });
      return new Response("ok");
    });
    await runConsumer([task]);
    expect(seen).toHaveLength(1);
    expect(await deadLetterOf(task.deliveryId)).toBeNull();
    expect(await deliveryRow(task.deliveryId)).toMatchObject({ status: "succeeded" });
  });
});
