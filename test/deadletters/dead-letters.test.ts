import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import type { QueueTask } from "../../src/schemas/queue";
import {
  attemptRows,
  deadLetterOf,
  deliveryRow,
  eventually,
  logEntries,
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

/**
 * Makes D1 refuse the consumer's signing-secret look-up (part of the one read each batch starts
 * with), so every run of the `DELIVERIES` consumer throws; the real binding answers everything
 * else. Restore when done.
 */
function failConsumerContextRead() {
  const prepare = env.DB.prepare.bind(env.DB);
  return vi.spyOn(env.DB, "prepare").mockImplementation((sql: string) => {
    if (sql.includes("JOIN auth_profile_secrets s")) throw new Error("injected: D1 unavailable");
    return prepare(sql);
  });
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
    const [task] = await seedDeliveries(appId, [ep.id]);
    const result = await runDlq([task]);
    expect(result.ackAll).toBe(true);
    expect(await deliveryRow(task?.deliveryId ?? "")).toMatchObject({
      status: "dead",
      state: null,
      last_error: "consumer_crash",
    });
    expect(await deadLetterOf(task?.deliveryId ?? "")).toMatchObject({
      reason: "consumer_crash",
      attempts: 0,
    });
    expect(await logEntries(task?.deliveryId ?? "")).toEqual([
      expect.objectContaining({ attempt: 0, status: "dead", error: "consumer_crash" }),
    ]);
    expect(await deadLetters(appId)).toEqual([
      expect.objectContaining({ deliveryId: task?.deliveryId, reason: "consumer_crash" }),
    ]);
  });

  it("through the real queue: a consumer crashing on every try ends dead as consumer_crash", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const seen = receiver(() => new Response("ok"));
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("seeding failed");
    // Every run throws (D1 refuses part of the batch's first read), so the queue retries the
    // message max_retries times and then hands it to hooklane-dlq.
    const spy = failConsumerContextRead();
    try {
      await env.DELIVERIES.send(task, { contentType: "json" });
      await eventually(async () => (await deliveryRow(task.deliveryId))?.status === "dead", 30_000);
      // One run, then the queue's max_retries (5) more, each of them thrown.
      const runs = spy.mock.calls.filter(([sql]) => sql.includes("JOIN auth_profile_secrets s"));
      expect(runs).toHaveLength(6);
    } finally {
      spy.mockRestore();
    }
    expect(seen).toHaveLength(0);
    expect(await deliveryRow(task.deliveryId)).toMatchObject({
      status: "dead",
      attempts: 0,
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
    const result = await runDlq([
      task,
      task,
      { kind: "dead", deliveryId: task?.deliveryId, reason: "gone" },
      { kind: "wake", endpointId: ep.id, appId },
    ]);
    expect(result.ackAll).toBe(true);
    expect(await deliveryRow(task?.deliveryId ?? "")).toMatchObject({ status: "succeeded" });
    expect(await logEntries(task?.deliveryId ?? "")).toEqual([
      expect.objectContaining({ attempt: 1, status: "succeeded" }),
    ]);
    expect(await deadLetters(appId)).toEqual([]);
  });

  it("leaves a delivery waiting for its retry alone, and records one crashed first try once", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    receiver(() => new Response("no", { status: 500 }));
    const [retrying] = await seedDeliveries(appId, [ep.id]);
    await runConsumer([retrying], { RETRY_SCHEDULE: "3600" });
    const [crashed] = await seedDeliveries(appId, [ep.id]);

    await runDlq([retrying, crashed, crashed]);
    await runDlq([crashed]);

    expect(await deliveryRow(retrying?.deliveryId ?? "")).toMatchObject({
      status: "failed",
      state: "waiting",
      attempts: 1,
    });
    expect(await deadLetterOf(retrying?.deliveryId ?? "")).toBeNull();
    expect(await logEntries(crashed?.deliveryId ?? "")).toEqual([
      expect.objectContaining({ attempt: 0, status: "dead", error: "consumer_crash" }),
    ]);
    expect((await deadLetters(appId)).map((d) => d.deliveryId)).toEqual([crashed?.deliveryId]);
  });

  it("replays one dead letter as a fresh series with the same webhook-id", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const task = await deadDelivery(appId, ep.id);
    await call("PATCH", `/v1/apps/${appId}/endpoints/${ep.id}`, { body: { disabled: false } });
    const send = vi.spyOn(env.DELIVERIES, "sendBatch").mockImplementation(async () => ({
      metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
    }));
    const replay = await call("POST", `/v1/apps/${appId}/dead-letters/${task.deliveryId}/replay`);
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ restarted: 1, more: false });
    // Open again: a fresh series (no tries yet) whose log numbering continues, due now.
    expect(await deliveryRow(task.deliveryId)).toMatchObject({
      status: "pending",
      state: "waiting",
      attempts: 0,
      total_attempts: 1,
    });
    expect(await deadLetterOf(task.deliveryId)).toBeNull();
    expect(await deadLetters(appId)).toEqual([]);
    // What the replay sent is its endpoint's wake; the consumer that takes it sends the delivery.
    const sent = send.mock.calls.flatMap(([m]) => [...m]).map((m) => m.body as QueueTask);
    expect(sent).toEqual([{ kind: "wake", endpointId: ep.id, appId }]);
    send.mockRestore();
    const seen = receiver(() => new Response("ok"));
    await runConsumer(sent);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers["webhook-id"]).toBe(task.messageId);
    expect(await deliveryRow(task.deliveryId)).toMatchObject({ status: "succeeded", state: null });
    expect((await attemptRows(task.deliveryId)).map((a) => [a.attempt, a.status])).toEqual([
      [1, "dead"],
      [2, "succeeded"],
    ]);
    const again = await call("POST", `/v1/apps/${appId}/dead-letters/${task.deliveryId}/replay`);
    expect(again.status).toBe(404);
  });

  it("replays in bulk by endpoint, bounded by limit", async () => {
    const { appId } = await newApp();
    const a = await newEndpoint(appId, { url: "https://a.example.com/" });
    const b = await newEndpoint(appId, { url: "https://b.example.com/" });
    const deadOnA = [];
    for (let i = 0; i < 3; i++) deadOnA.push(await deadDelivery(appId, a.id));
    const deadOnB = await deadDelivery(appId, b.id);
    for (const id of [a.id, b.id])
      await call("PATCH", `/v1/apps/${appId}/endpoints/${id}`, { body: { disabled: false } });
    receiver(() => new Response("ok"));
    const first = await call("POST", `/v1/apps/${appId}/dead-letters/replay`, {
      body: { endpointId: a.id, limit: 2 },
    });
    expect(first.body).toEqual({ restarted: 2, more: true, replayId: expect.any(String) });
    const second = await call("POST", `/v1/apps/${appId}/dead-letters/replay`, {
      body: { endpointId: a.id, limit: 2 },
    });
    expect(second.body).toEqual({ restarted: 1, more: false, replayId: expect.any(String) });
    expect((await deadLetters(appId)).map((d) => d.endpointId)).toEqual([b.id]);
    // Through the real queue, the replays' wakes get all three delivered.
    for (const task of deadOnA) {
      await eventually(async () => (await deliveryRow(task.deliveryId))?.status === "succeeded");
    }
    expect(await deliveryRow(deadOnB.deliveryId)).toMatchObject({ status: "dead" });
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
