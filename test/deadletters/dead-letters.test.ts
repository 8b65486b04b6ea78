import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import {
  deliveryRow,
  eventually,
  failFifoHeadLookup,
  receiver,
  runConsumer,
  seedDeliveries,
} from "../delivery/fixtures";
import { call, newApp, newEndpoint } from "../helpers";

async function runDlq(bodies: unknown[]) {
  const batch = createMessageBatch(
    "hooklane-dlq",
    bodies.map((body, i) => ({ id: `d${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

/** Makes a dead delivery through the real consumer (410 Gone from the receiver). */
async function deadDelivery(appId: string, endpointId: string) {
  receiver(() => new Response("gone", { status: 410 }));
  const [task] = await seedDeliveries(appId, [endpointId]);
  await runConsumer([task]);
  if (!task) throw new Error("no task");
  return task;
}

/** An app's dead letters as the API lists them. */
async function deadLetters(appId: string) {
  const list = await call<{ data: { deliveryId: string; endpointId: string; reason: string }[] }>(
    "GET",
    `/v1/apps/${appId}/dead-letters`,
  );
  expect(list.status).toBe(200);
  return list.body.data;
}

describe("dead letters", () => {
  it("records a delivery the consumer kept crashing on as consumer_crash", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const [task] = await seedDeliveries(appId, [ep.id], {}, Date.now() + 3_600_000);
    const result = await runDlq([task]);
    expect(result.ackAll).toBe(true);
    expect(await deliveryRow(task?.deliveryId ?? "")).toMatchObject({
      status: "dead",
      last_error: "consumer_crash",
    });
    expect(await deadLetters(appId)).toEqual([
      expect.objectContaining({ deliveryId: task?.deliveryId, reason: "consumer_crash" }),
    ]);
  });

  it("through the real queue: a consumer crashing on every try ends dead as consumer_crash", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { ordering: "fifo" });
    const seen = receiver(() => new Response("ok"));
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("seeding failed");
    // Every run fails after its claim (D1 refuses the FIFO head look-up), so the queue retries
    // the message max_retries times and then hands it to hooklane-dlq.
    const spy = failFifoHeadLookup();
    try {
      await env.DELIVERIES.send(task, { contentType: "json" });
      await eventually(async () => (await deliveryRow(task.deliveryId))?.status === "dead", 30_000);
    } finally {
      spy.mockRestore();
    }
    expect(seen).toHaveLength(0);
    expect(await deliveryRow(task.deliveryId)).toMatchObject({
      status: "dead",
      last_error: "consumer_crash",
    });
    expect(await deadLetters(appId)).toEqual([
      expect.objectContaining({ deliveryId: task.deliveryId, reason: "consumer_crash" }),
    ]);
  });

  it("is idempotent and never marks a finished delivery dead", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    receiver(() => new Response("ok"));
    const [task] = await seedDeliveries(appId, [ep.id]);
    await runConsumer([task]);
    await runDlq([task, task, { kind: "dead", deliveryId: task?.deliveryId, reason: "gone" }]);
    expect(await deliveryRow(task?.deliveryId ?? "")).toMatchObject({ status: "succeeded" });
    const list = await call<{ data: unknown[] }>("GET", `/v1/apps/${appId}/dead-letters`);
    expect(list.body.data).toEqual([]);
  });

  it("replays one dead letter as a fresh series with the same webhook-id", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const task = await deadDelivery(appId, ep.id);
    await call("PATCH", `/v1/apps/${appId}/endpoints/${ep.id}`, { body: { disabled: false } });
    const seen = receiver(() => new Response("ok"));
    const replay = await call("POST", `/v1/apps/${appId}/dead-letters/${task.deliveryId}/replay`);
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ restarted: 1, more: false });
    await eventually(async () => (await deliveryRow(task.deliveryId))?.status === "succeeded");
    expect(seen[0]?.headers["webhook-id"]).toBe(task.messageId);
    expect(await deliveryRow(task.deliveryId)).toMatchObject({ attempts: 1, total_attempts: 2 });
    const list = await call<{ data: unknown[] }>("GET", `/v1/apps/${appId}/dead-letters`);
    expect(list.body.data).toEqual([]);
    const again = await call("POST", `/v1/apps/${appId}/dead-letters/${task.deliveryId}/replay`);
    expect(again.status).toBe(404);
  });

  it("replays in bulk by endpoint, bounded by limit", async () => {
    const { appId } = await newApp();
    const a = await newEndpoint(appId, { url: "https://a.example.com/" });
    const b = await newEndpoint(appId, { url: "https://b.example.com/" });
    for (let i = 0; i < 3; i++) await deadDelivery(appId, a.id);
    await deadDelivery(appId, b.id);
    for (const id of [a.id, b.id])
      await call("PATCH", `/v1/apps/${appId}/endpoints/${id}`, { body: { disabled: false } });
    receiver(() => new Response("ok"));
    const first = await call("POST", `/v1/apps/${appId}/dead-letters/replay`, {
      body: { endpointId: a.id, limit: 2 },
    });
    expect(first.body).toEqual({ restarted: 2, more: true });
    const second = await call("POST", `/v1/apps/${appId}/dead-letters/replay`, {
      body: { endpointId: a.id, limit: 2 },
    });
    expect(second.body).toEqual({ restarted: 1, more: false });
    expect((await deadLetters(appId)).map((d) => d.endpointId)).toEqual([b.id]);
    const tooMany = await call("POST", `/v1/apps/${appId}/dead-letters/replay`, {
      body: { limit: 100_000 },
    });
    expect(tooMany.status).toBe(422);
  });

  it("filters dead letters by endpoint and time", async () => {
    const { appId } = await newApp();
    const a = await newEndpoint(appId, { url: "https://a.example.com/" });
    const b = await newEndpoint(appId, { url: "https://b.example.com/" });
    await deadDelivery(appId, a.id);
    const between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await deadDelivery(appId, b.id);
    const byEndpoint = await call<{ data: { endpointId: string }[] }>(
      "GET",
      `/v1/apps/${appId}/dead-letters?endpointId=${a.id}`,
    );
    expect(byEndpoint.body.data.map((d) => d.endpointId)).toEqual([a.id]);
    const since = await call<{ data: { endpointId: string }[] }>(
      "GET",
      `/v1/apps/${appId}/dead-letters?since=${between}`,
    );
    expect(since.body.data.map((d) => d.endpointId)).toEqual([b.id]);
    const until = await call<{ data: { endpointId: string }[] }>(
      "GET",
      `/v1/apps/${appId}/dead-letters?until=${between}`,
    );
    expect(until.body.data.map((d) => d.endpointId)).toEqual([a.id]);
    const both = await call<{ data: unknown[] }>(
      "GET",
      `/v1/apps/${appId}/dead-letters?endpointId=${b.id}&until=${between}`,
    );
    expect(both.body.data).toEqual([]);
    const bad = await call("GET", `/v1/apps/${appId}/dead-letters?since=yesterday`);
    expect(bad.status).toBe(400);
  });

  it("recovers an endpoint's failed and dead deliveries since a time", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const since = new Date(Date.now() - 1000).toISOString();
    const dead = await deadDelivery(appId, ep.id);
    receiver(() => new Response("no", { status: 500 }));
    const [failed] = await seedDeliveries(appId, [ep.id]);
    await call("PATCH", `/v1/apps/${appId}/endpoints/${ep.id}`, { body: { disabled: false } });
    await runConsumer([failed], { RETRY_SCHEDULE: "300" });
    expect(await deliveryRow(failed?.deliveryId ?? "")).toMatchObject({ status: "failed" });
    receiver(() => new Response("ok"));
    const res = await call("POST", `/v1/apps/${appId}/endpoints/${ep.id}/recover`, {
      body: { since },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ restarted: 2, more: false });
    for (const id of [dead.deliveryId, failed?.deliveryId ?? ""]) {
      await eventually(async () => (await deliveryRow(id))?.status === "succeeded");
    }
  });

  it("recovers nothing older than `since`, and never a delivery that succeeded", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const old = await deadDelivery(appId, ep.id);
    await new Promise((r) => setTimeout(r, 5));
    const since = new Date().toISOString();
    await call("PATCH", `/v1/apps/${appId}/endpoints/${ep.id}`, { body: { disabled: false } });
    const seen = receiver(() => new Response("ok"));
    const [done] = await seedDeliveries(appId, [ep.id]);
    await runConsumer([done]);
    expect(seen).toHaveLength(1);
    const res = await call("POST", `/v1/apps/${appId}/endpoints/${ep.id}/recover`, {
      body: { since },
    });
    expect(res.body).toEqual({ restarted: 0, more: false });
    expect(await deliveryRow(old.deliveryId)).toMatchObject({ status: "dead" });
    expect(await deliveryRow(done?.deliveryId ?? "")).toMatchObject({ status: "succeeded" });
    expect(seen).toHaveLength(1);
  });
});
