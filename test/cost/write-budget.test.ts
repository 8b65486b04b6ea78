import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { readOps, resetOps } from "../../src/lib/ops";
import type { DeliveryTask } from "../../src/schemas/queue";
import { deliveryRow, receiver, runConsumer, seedDeliveries } from "../delivery/fixtures";
import { call, newApp, newEndpoint } from "../helpers";

/**
 * D1 bills every row written, index entries included, and rows written are most of what a
 * delivery costs (docs/ARCHITECTURE.md, "Storage per delivery"). These budgets pin the hot
 * path's counts, measured the way the benchmark measures them (`meta.rows_written` of every D1
 * result, OPS_COUNTERS on), so a new index, an extra UPDATE or an extra round trip on the hot
 * path shows up here as a failing test.
 */
const COUNTING = { OPS_COUNTERS: "true" };

async function ingest(appId: string, headers: Record<string, string> = {}) {
  const sent: DeliveryTask[] = [];
  // Catch the tasks instead of letting the test runtime's own consumer take them.
  vi.spyOn(env.DELIVERIES, "sendBatch").mockImplementation(async (messages) => {
    for (const m of messages) sent.push(m.body as DeliveryTask);
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
  });
  resetOps();
  const res = await call("POST", `/v1/apps/${appId}/messages`, {
    body: { eventType: "order.created", payload: { id: 1 } },
    headers,
    vars: COUNTING,
  });
  expect(res.status).toBe(202);
  const ops = readOps();
  return { sent, written: ops.d1RowsWritten, statements: ops.d1Queries };
}

describe("D1 writes per delivery", () => {
  it("ingest of one message to one endpoint writes 1 row in 1 statement (the message)", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://budget.example.com/hook" });
    const { sent, written, statements } = await ingest(appId);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ kind: "delivery", endpointId: ep.id });
    expect(written).toBe(1);
    // An app's first ingest also reads what later ones find in per-isolate caches (its ingest
    // limit, its endpoints, the event type's schema).
    expect(statements).toBeLessThanOrEqual(4);
    const again = await ingest(appId);
    expect(again.written).toBe(1);
    expect(again.statements).toBe(1);
  });

  it("an idempotency key adds 1 row (the key)", async () => {
    const { appId } = await newApp();
    await newEndpoint(appId);
    const { written } = await ingest(appId, { "idempotency-key": "order-1" });
    expect(written).toBe(2);
  });

  it("a consumer batch of 50 first tries that succeed writes 2 rows in 5 statements", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://budget.example.com/hook" });
    const seen = receiver(() => new Response("ok"));
    // One success first: a new endpoint is held to a few requests until it proves itself.
    await runConsumer(await seedDeliveries(appId, [ep.id]));
    seen.length = 0;
    // Fifty messages created in the same second, as a backlog drains: one attempt-log row.
    const at = Date.now() - (Date.now() % 1024) + 1;
    const tasks = [];
    for (let i = 0; i < 50; i++) tasks.push(...(await seedDeliveries(appId, [ep.id], { i }, at)));

    resetOps();
    const result = await runConsumer(tasks, COUNTING);
    expect(result.explicitAcks).toHaveLength(50);
    expect(seen).toHaveLength(50);
    const ops = readOps();
    // One log row and its per-endpoint index entry, for all fifty.
    expect(ops.d1RowsWritten).toBe(2);
    // One read batch (endpoints, secrets, the log and open rows of the fifty), one write.
    expect(ops.d1Queries).toBe(5);
    for (const t of tasks)
      expect(await deliveryRow(t.deliveryId)).toMatchObject({ status: "succeeded" });
  });

  it("a consumer batch of 50 first tries to a batching endpoint: 1 request, still 2 rows in 5 statements", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, {
      url: "https://budget.example.com/hook",
      batch: { maxEvents: 50, maxWaitMs: 1000 },
    });
    const seen = receiver(() => new Response("ok"));
    const at = Date.now() - (Date.now() % 1024) + 1;
    const tasks = [];
    for (let i = 0; i < 50; i++) tasks.push(...(await seedDeliveries(appId, [ep.id], { i }, at)));

    resetOps();
    const result = await runConsumer(tasks, COUNTING);
    expect(result.explicitAcks).toHaveLength(50);
    expect(seen).toHaveLength(1);
    const ops = readOps();
    // The batch's outcome is an entry per delivery in the same log row: no write per delivery.
    expect(ops.d1RowsWritten).toBe(2);
    expect(ops.d1Queries).toBe(5);
    for (const t of tasks)
      expect(await deliveryRow(t.deliveryId)).toMatchObject({ status: "succeeded" });
  });

  it("a failed attempt scheduled for retry adds its open row: 4 rows for a batch of one", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://budget.example.com/hook" });
    receiver(() => new Response("down", { status: 503 }));
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("seeding failed");
    resetOps();
    const result = await runConsumer([task], { ...COUNTING, RETRY_SCHEDULE: "300,600" });
    expect(result.explicitAcks).toEqual(["q0"]);
    // Log row + its index entry; open row + its due index entry.
    expect(readOps().d1RowsWritten).toBe(4);
    expect(await deliveryRow(task.deliveryId)).toMatchObject({
      status: "failed",
      state: "waiting",
    });
  });
});
