import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { readOps, resetOps } from "../../src/lib/ops";
import type { DeliveryTask } from "../../src/schemas/queue";
import { receiver, runConsumer } from "../delivery/fixtures";
import { call, newApp, newEndpoint } from "../helpers";

/**
 * D1 bills every row written, index entries included, and rows written are most of what a
 * delivery costs (docs/BENCHMARKS.md). These budgets pin the hot path's write count, measured
 * the way the benchmark measures it (`meta.rows_written` of every D1 result, OPS_COUNTERS on),
 * so a new index or an extra UPDATE on the hot path shows up here as a failing test.
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
  return { sent, written: readOps().d1RowsWritten };
}

describe("D1 rows written per delivery", () => {
  it("ingest of one message to one endpoint writes 5 rows; its successful delivery 4 more", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://budget.example.com/hook" });
    const seen = receiver(() => new Response("ok"));

    const { sent, written } = await ingest(appId);
    expect(sent).toHaveLength(1);
    // message 1 + delivery 4 (row, by-message index, unfinished-by-endpoint, due).
    expect(written).toBe(5);

    resetOps();
    const result = await runConsumer(sent, COUNTING);
    expect(result.explicitAcks).toEqual(["q0"]);
    expect(seen).toHaveLength(1);
    // claim 1 + attempt 2 (row, per-endpoint index) + final status 1.
    expect(readOps().d1RowsWritten).toBe(4);
    expect(ep.id).toBe(sent[0]?.endpointId);
  });

  it("an idempotency key adds 2 rows (key and its expiry index)", async () => {
    const { appId } = await newApp();
    await newEndpoint(appId);
    const { written } = await ingest(appId, { "idempotency-key": "order-1" });
    expect(written).toBe(7);
  });

  it("a failed attempt scheduled for retry writes 6 rows: claim 1, attempt 2, status 3 (the due time moves)", async () => {
    const { appId } = await newApp();
    await newEndpoint(appId, { url: "https://budget.example.com/hook" });
    receiver(() => new Response("down", { status: 503 }));
    const { sent } = await ingest(appId);
    resetOps();
    const result = await runConsumer(sent, { ...COUNTING, RETRY_SCHEDULE: "300,600" });
    expect(result.explicitAcks).toEqual(["q0"]);
    expect(readOps().d1RowsWritten).toBe(6);
  });
});
