import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { OpenRow } from "../../src/db/open-deliveries";
import { newApp, newEndpoint } from "../helpers";
import {
  appOfEndpoint,
  attemptRows,
  deliveryRow,
  receiver,
  runConsumer,
  type SeededTask,
  seedDeliveries,
} from "./fixtures";

const LONG = { RETRY_SCHEDULE: "300,600" };

// The gates' wakes are caught: each test runs the wakes it needs itself.
beforeEach(() => {
  vi.spyOn(env.DELIVERIES, "send").mockResolvedValue({
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The wake an endpoint's gate sends when its parked deliveries are due. */
async function wake(endpointId: string, vars: Partial<Record<keyof Env, string>> = {}) {
  return runConsumer([{ kind: "wake", endpointId, appId: await appOfEndpoint(endpointId) }], vars);
}

/** Every open row of an endpoint, in message order. */
async function openRows(endpointId: string): Promise<OpenRow[]> {
  const { results } = await env.DB.prepare(
    "SELECT * FROM open_deliveries WHERE endpoint_id = ? ORDER BY message_id",
  )
    .bind(endpointId)
    .all<OpenRow>();
  return results;
}

/** Lets time pass for every open row of an endpoint: all are due now. */
async function makeDue(endpointId: string): Promise<void> {
  await env.DB.prepare("UPDATE open_deliveries SET due_at = ? WHERE endpoint_id = ?")
    .bind(Date.now() - 1000, endpointId)
    .run();
}

/**
 * Seeds `n` messages to one endpoint, one after the other (message order = seeding order),
 * created `agoMs` before now.
 */
async function seedMany(appId: string, endpointId: string, n: number, fifo = false, agoMs = 0) {
  const tasks: SeededTask[] = [];
  for (let i = 0; i < n; i++)
    tasks.push(
      ...(await seedDeliveries(
        appId,
        [endpointId],
        { i },
        Date.now() - agoMs,
        fifo ? [endpointId] : [],
      )),
    );
  return tasks;
}

/** The message ids in a batch request's body, in order. */
function idsIn(body: string): string[] {
  return (JSON.parse(body) as { id: string }[]).map((e) => e.id);
}

describe("a batching endpoint in the consumer", () => {
  it("sends 250 deliveries to a maxEvents 50 endpoint in 5 signed requests", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { batch: { maxEvents: 50, maxWaitMs: 1000 } });
    const seen = receiver(() => new Response("ok"));
    const tasks = await seedMany(appId, ep.id, 250);
    // The queue hands the consumer up to 50 messages at a time (wrangler.toml).
    for (let i = 0; i < 250; i += 50) {
      const result = await runConsumer(tasks.slice(i, i + 50));
      expect(result.explicitAcks).toHaveLength(50);
    }

    expect(seen).toHaveLength(5);
    const wh = new Webhook(ep.secret);
    const ids = new Set<string>();
    for (const req of seen) {
      expect(req.headers["webhook-id"]).toMatch(/^bat_/);
      expect(req.headers["content-type"]).toBe("application/json");
      // The signature covers the whole array, under the batch's own id.
      const verified = wh.verify(req.body, req.headers) as { id: string; data: { i: number } }[];
      expect(verified).toHaveLength(50);
      for (const e of verified) ids.add(e.id);
    }
    expect(new Set(seen.map((r) => r.headers["webhook-id"])).size).toBe(5);
    expect(ids).toEqual(new Set(tasks.map((t) => t.messageId)));
    // Each envelope is the usual body with its message id, the payload as sent.
    const first = tasks[0];
    expect(seen[0]?.body.startsWith(`[{"id":"${first?.messageId}","type":"order.created",`)).toBe(
      true,
    );
    for (const t of tasks)
      expect(await deliveryRow(t.deliveryId)).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("retries a failed batch whole: same members, same webhook-id, one attempt each", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { batch: { maxEvents: 3, maxWaitMs: 100 } });
    const seen = receiver((_req, n) => new Response("x", { status: n === 1 ? 503 : 200 }));
    const tasks = await seedMany(appId, ep.id, 3);
    await runConsumer(tasks, LONG);

    expect(seen).toHaveLength(1);
    const rows = await openRows(ep.id);
    expect(rows).toHaveLength(3);
    const batchId = seen[0]?.headers["webhook-id"];
    // One verdict for the batch: the same batch id and the same retry time on every row.
    for (const row of rows) {
      expect(row).toMatchObject({ batch_id: batchId, attempts: 1, state: "waiting" });
      expect(row.due_at).toBe(rows[0]?.due_at);
    }
    for (const t of tasks)
      expect(await attemptRows(t.deliveryId)).toEqual([
        expect.objectContaining({ attempt: 1, status: "failed", status_code: 503 }),
      ]);

    // Another delivery arrives meanwhile: it does not join the retried batch.
    const [late] = await seedMany(appId, ep.id, 1);
    if (!late) throw new Error("seeding failed");
    await makeDue(ep.id);
    await runConsumer([{ kind: "wake", endpointId: ep.id, appId }, late], LONG);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.headers["webhook-id"]).toBe(batchId);
    expect(idsIn(seen[1]?.body ?? "[]")).toEqual(idsIn(seen[0]?.body ?? "[]"));
    expect(seen[1]?.body).toBe(seen[0]?.body);
    for (const t of tasks) {
      expect(await deliveryRow(t.deliveryId)).toMatchObject({ status: "succeeded" });
      expect(await attemptRows(t.deliveryId)).toHaveLength(2);
    }
    // The late one waits for its own batch to fill, parked until its maxWaitMs.
    expect(await deliveryRow(late.deliveryId)).toMatchObject({
      state: "waiting",
      attempts: 0,
      next_attempt_at: late.createdAt + 100,
    });
  });

  it("holds a short batch of first tries until maxWaitMs, parked, and sends it when woken", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { batch: { maxEvents: 10, maxWaitMs: 5000 } });
    const seen = receiver(() => new Response("ok"));
    // Created 4.5 s ago: they wait about half a second more.
    const tasks = await seedMany(appId, ep.id, 3, false, 4_500);
    const result = await runConsumer(tasks);
    expect(result.explicitAcks).toHaveLength(3);
    expect(seen).toHaveLength(0);
    const rows = await openRows(ep.id);
    const oldest = Math.min(...tasks.map((t) => t.createdAt));
    expect(rows.map((r) => r.due_at)).toEqual([oldest + 5000, oldest + 5000, oldest + 5000]);
    // Parked as one filling group: first tries under one batch id.
    expect(rows.every((r) => r.attempts === 0 && r.batch_id?.startsWith("bat_"))).toBe(true);
    expect(new Set(rows.map((r) => r.batch_id)).size).toBe(1);

    // Woken before their time, they wait on; once the oldest has waited 5 s, they go.
    await makeDue(ep.id);
    await wake(ep.id);
    expect(seen).toHaveLength(0);
    await new Promise((r) => setTimeout(r, Math.max(0, oldest + 5000 - Date.now()) + 50));
    await makeDue(ep.id);
    await wake(ep.id);
    expect(seen).toHaveLength(1);
    expect(idsIn(seen[0]?.body ?? "[]")).toEqual(tasks.map((t) => t.messageId));
    expect(await openRows(ep.id)).toEqual([]);
  });

  it("fills one batch from short queue batches, sends it once full, and starts the next", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { batch: { maxEvents: 10, maxWaitMs: 60_000 } });
    const seen = receiver(() => new Response("ok"));
    const tasks = await seedMany(appId, ep.id, 13);
    // Two queue batches of 4: each short, both parked in the same filling group.
    for (let i = 0; i < 8; i += 4) await runConsumer(tasks.slice(i, i + 4));
    expect(seen).toHaveLength(0);
    let rows = await openRows(ep.id);
    expect(rows).toHaveLength(8);
    const group = rows[0]?.batch_id;
    const until = Math.min(...tasks.map((t) => t.createdAt)) + 60_000;
    expect(rows.every((r) => r.batch_id === group && r.due_at === until)).toBe(true);

    // The third brings it to 12 of 10: two join, two start the next group, and the write that
    // parks them finds 10 or more filling and makes all of them due now.
    const before = Date.now();
    await runConsumer(tasks.slice(8, 12));
    rows = await openRows(ep.id);
    const joined = rows.filter((r) => r.batch_id === group);
    const next = rows.filter((r) => r.batch_id !== group);
    expect(joined).toHaveLength(10);
    expect(next.map((r) => r.message_id)).toEqual(tasks.slice(10, 12).map((t) => t.messageId));
    expect(next[0]?.batch_id).toMatch(/^bat_/);
    expect(next[0]?.batch_id).not.toBe(group);
    expect(rows.every((r) => r.due_at >= before && r.due_at <= Date.now())).toBe(true);

    // The wake the gate was told about sends the first ten as one request, under a new id (the
    // group's id is only a grouping key); the short rest waits on for its own oldest.
    await wake(ep.id);
    expect(seen).toHaveLength(1);
    expect(idsIn(seen[0]?.body ?? "[]")).toEqual(tasks.slice(0, 10).map((t) => t.messageId));
    expect(seen[0]?.headers["webhook-id"]).not.toBe(group);
    rows = await openRows(ep.id);
    expect(rows.map((r) => r.message_id)).toEqual(tasks.slice(10, 12).map((t) => t.messageId));
    const nextUntil = (tasks[10]?.createdAt ?? 0) + 60_000;
    expect(rows.every((r) => r.due_at === nextUntil && r.state === "waiting")).toBe(true);

    // The thirteenth joins that group and waits with it.
    await runConsumer(tasks.slice(12));
    expect(seen).toHaveLength(1);
    const last = await openRows(ep.id);
    expect(last).toHaveLength(3);
    expect(new Set(last.map((r) => r.batch_id)).size).toBe(1);
    expect(last.every((r) => r.due_at === nextUntil)).toBe(true);
    for (const t of tasks.slice(0, 10))
      expect(await deliveryRow(t.deliveryId)).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("waits for its batch even when maxWaitMs is longer than the retry window", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { batch: { maxEvents: 10, maxWaitMs: 60_000 } });
    receiver(() => new Response("ok"));
    const tasks = await seedMany(appId, ep.id, 2);
    // Retries a second apart: a window of a few seconds, far shorter than the batch's wait.
    await runConsumer(tasks, { RETRY_SCHEDULE: "1,1" });
    const rows = await openRows(ep.id);
    expect(rows).toHaveLength(2);
    for (const t of tasks)
      expect(await deliveryRow(t.deliveryId)).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("counts every filling group of the endpoint, as racing consumers may leave two", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { batch: { maxEvents: 5, maxWaitMs: 60_000 } });
    const seen = receiver(() => new Response("ok"));
    const tasks = await seedMany(appId, ep.id, 5);
    // A consumer that did not see the first group (hidden here while it plans) starts another.
    await runConsumer(tasks.slice(0, 3));
    const hide = (state: string) =>
      env.DB.prepare("UPDATE open_deliveries SET state = ? WHERE endpoint_id = ?")
        .bind(state, ep.id)
        .run();
    await hide("queued");
    await runConsumer(tasks.slice(3, 4));
    await hide("waiting");
    expect(new Set((await openRows(ep.id)).map((r) => r.batch_id)).size).toBe(2);
    expect(seen).toHaveLength(0);
    // The next one joins the earliest; its write counts five in two groups and hurries them.
    await runConsumer(tasks.slice(4, 5));
    await wake(ep.id);
    expect(seen.map((r) => idsIn(r.body))).toEqual([tasks.map((t) => t.messageId)]);
    expect(await openRows(ep.id)).toEqual([]);
  });

  it("keeps message order on a FIFO batching endpoint, a failed head batch first", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, {
      ordering: "fifo",
      batch: { maxEvents: 3, maxWaitMs: 100 },
    });
    const seen = receiver((_req, n) => new Response("x", { status: n === 2 ? 500 : 200 }));
    const tasks = await seedMany(appId, ep.id, 8, true);
    const order = tasks.map((t) => t.messageId);
    await wake(ep.id, LONG);

    // [1,2,3] succeeds, [4,5,6] fails and holds [7,8] behind it.
    expect(seen.map((r) => idsIn(r.body))).toEqual([order.slice(0, 3), order.slice(3, 6)]);
    await makeDue(ep.id);
    await wake(ep.id, LONG);
    expect(seen.map((r) => idsIn(r.body))).toEqual([
      order.slice(0, 3),
      order.slice(3, 6),
      order.slice(3, 6),
      order.slice(6, 8),
    ]);
    expect(seen[2]?.headers["webhook-id"]).toBe(seen[1]?.headers["webhook-id"]);
    for (const t of tasks)
      expect(await deliveryRow(t.deliveryId)).toMatchObject({ status: "succeeded" });
  });

  it("sends cloudevents batches in the CloudEvents batch mode", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, {
      format: "cloudevents",
      batch: { maxEvents: 2, maxWaitMs: 100 },
    });
    const seen = receiver(() => new Response("ok"));
    const tasks = await seedMany(appId, ep.id, 2);
    await runConsumer(tasks);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers["content-type"]).toBe("application/cloudevents-batch+json");
    const events = JSON.parse(seen[0]?.body ?? "[]") as { specversion: string; id: string }[];
    expect(events.map((e) => [e.specversion, e.id])).toEqual(
      tasks.map((t) => ["1.0", t.messageId]),
    );
  });
});
