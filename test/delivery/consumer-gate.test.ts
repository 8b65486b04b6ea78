import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { retryWindowMs } from "../../src/delivery/retry";
import type { GateOutcome } from "../../src/gate/types";
import { readOps, resetOps } from "../../src/lib/ops";
import { call, newApp, newEndpoint } from "../helpers";
import {
  deliveryRow,
  operatorEvents,
  operatorNotices,
  receiver,
  runConsumer,
  seedDeliveries,
} from "./fixtures";

/**
 * The consumer and each endpoint's gate together: how often the gate is asked, what waits and
 * for how long, expiry of the retry window, pauses, auto-disable and its reset.
 */

const LONG = { RETRY_SCHEDULE: "300,600" };
const DAY_MS = 86_400_000;

function gate(endpointId: string) {
  return env.ENDPOINT_GATE.get(env.ENDPOINT_GATE.idFromName(endpointId));
}

/** Pauses an endpoint's gate as a receiver's Retry-After would. */
async function pause(endpointId: string, ms: number): Promise<void> {
  const outcome: GateOutcome = {
    leaseId: "none",
    ok: false,
    countsAsFailure: false,
    latencyMs: 1,
    retryAfterMs: ms,
  };
  await gate(endpointId).report([outcome]);
}

/** Catches re-enqueued tasks instead of letting the test runtime's consumer take them. */
function catchRequeues() {
  const sent: { deliveryId: string; delaySeconds: number | undefined }[] = [];
  vi.spyOn(env.DELIVERIES, "sendBatch").mockImplementation(async (messages) => {
    for (const m of messages) {
      sent.push({
        deliveryId: (m.body as { deliveryId: string }).deliveryId,
        delaySeconds: m.delaySeconds,
      });
    }
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
  });
  return sent;
}

/** Marks a delivery as already attempted once, its first attempt `agoMs` ago. */
async function attemptedAgo(deliveryId: string, agoMs: number): Promise<void> {
  const at = Date.now() - agoMs;
  await env.DB.prepare(
    `UPDATE deliveries SET status = 'failed', attempts = 1, total_attempts = 1,
       first_attempt_at = ?, last_error = 'HTTP 500', next_attempt_at = ? WHERE id = ?`,
  )
    .bind(at, Date.now() - 1000, deliveryId)
    .run();
}

async function seedMany(appId: string, endpointId: string, n: number) {
  const tasks = [];
  for (let i = 0; i < n; i++) tasks.push(...(await seedDeliveries(appId, [endpointId], { n: i })));
  return tasks;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("consumer and gate", () => {
  it("asks each endpoint's gate once for all its slots and reports once per batch", async () => {
    const { appId } = await newApp();
    const a = await newEndpoint(appId, { url: "https://a.example.com/hook", maxConcurrency: 20 });
    const b = await newEndpoint(appId, { url: "https://b.example.com/hook", maxConcurrency: 20 });
    const seen = receiver(() => new Response("ok"));
    const tasks = [...(await seedMany(appId, a.id, 4)), ...(await seedMany(appId, b.id, 3))];
    resetOps();
    const result = await runConsumer(tasks, { ...LONG, OPS_COUNTERS: "true" });
    expect(seen).toHaveLength(7);
    expect(result.explicitAcks).toHaveLength(7);
    // Two endpoints: one admit and one report each, whatever the number of deliveries.
    expect(readOps().doRequests).toBe(4);
  });

  it("a FIFO endpoint whose gate refuses waits as long as the gate says, not a second", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { ordering: "fifo" });
    const seen = receiver(() => new Response("ok"));
    const requeued = catchRequeues();
    await pause(ep.id, 60_000);
    const tasks = await seedMany(appId, ep.id, 3);
    await runConsumer(tasks, LONG);
    expect(seen).toHaveLength(0);
    expect(requeued).toHaveLength(3);
    for (const r of requeued) {
      expect(r.delaySeconds).toBeGreaterThanOrEqual(58);
      expect(r.delaySeconds).toBeLessThanOrEqual(60);
      expect(await deliveryRow(r.deliveryId)).toMatchObject({ status: "pending", attempts: 0 });
    }
  });

  it("what waits behind a failing FIFO head comes back with the head's retry", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { ordering: "fifo" });
    const seen = receiver(() => new Response("down", { status: 500 }));
    const requeued = catchRequeues();
    const tasks = await seedMany(appId, ep.id, 3);
    await runConsumer(tasks, LONG);
    // The head is tried once and fails; the two behind it are never sent.
    expect(seen).toHaveLength(1);
    const head = requeued.find((r) => r.deliveryId === tasks[0]?.deliveryId);
    expect(head?.delaySeconds).toBeGreaterThanOrEqual(240);
    for (const t of tasks.slice(1)) {
      const behind = requeued.find((r) => r.deliveryId === t.deliveryId);
      expect(behind?.delaySeconds).toBe(head?.delaySeconds);
      expect(await deliveryRow(t.deliveryId)).toMatchObject({ status: "pending", attempts: 0 });
    }
  });

  it("a FIFO head that is dead-lettered unblocks the deliveries behind it", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { ordering: "fifo" });
    const seen = receiver((req) =>
      JSON.parse(req.body).data.n === 0
        ? new Response("down", { status: 500 })
        : new Response("ok"),
    );
    catchRequeues();
    const [head, second, third] = await seedMany(appId, ep.id, 3);
    if (!head || !second || !third) throw new Error("seeding failed");
    // One retry in the schedule, and the head has used its first try: this failure is its last.
    await attemptedAgo(head.deliveryId, 1000);
    await runConsumer([head, second, third], { RETRY_SCHEDULE: "1" });
    expect(await deliveryRow(head.deliveryId)).toMatchObject({ status: "dead" });
    expect(await deliveryRow(second.deliveryId)).toMatchObject({ status: "pending" });
    expect(seen).toHaveLength(1);

    await runConsumer([second, third], { RETRY_SCHEDULE: "1" });
    expect(await deliveryRow(second.deliveryId)).toMatchObject({ status: "succeeded" });
    expect(await deliveryRow(third.deliveryId)).toMatchObject({ status: "succeeded" });
    expect(seen.map((s) => JSON.parse(s.body).data.n)).toEqual([0, 1, 2]);
  });

  it("a deferral past the retry window dead-letters the delivery as expired", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const seen = receiver(() => new Response("ok"));
    catchRequeues();
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("seeding failed");
    // Its first attempt was almost a whole window ago; the gate now says wait a minute.
    const window = retryWindowMs([300, 600], 15_000);
    await attemptedAgo(task.deliveryId, window - 30_000);
    await pause(ep.id, 60_000);
    await runConsumer([task], LONG);
    expect(seen).toHaveLength(0);
    expect(await deliveryRow(task.deliveryId)).toMatchObject({
      status: "dead",
      attempts: 1,
      last_error: "expired",
    });
    const dead = await env.DB.prepare("SELECT reason FROM dead_letters WHERE delivery_id = ?")
      .bind(task.deliveryId)
      .first<{ reason: string }>();
    expect(dead?.reason).toBe("expired");
  });

  it("a deferral inside the retry window waits without using an attempt", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    receiver(() => new Response("ok"));
    const requeued = catchRequeues();
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("seeding failed");
    await attemptedAgo(task.deliveryId, 1000 * (300 + 600));
    await pause(ep.id, 60_000);
    await runConsumer([task], LONG);
    expect(await deliveryRow(task.deliveryId)).toMatchObject({ status: "failed", attempts: 1 });
    expect(requeued).toEqual([{ deliveryId: task.deliveryId, delaySeconds: expect.any(Number) }]);
  });

  it("pauses the endpoint on a 429 with an HTTP-date Retry-After, no longer than the retry", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const retryAt = new Date(Date.now() + 3_600_000).toUTCString();
    receiver(() => new Response("slow down", { status: 429, headers: { "retry-after": retryAt } }));
    const requeued = catchRequeues();
    const [task] = await seedDeliveries(appId, [ep.id]);
    await runConsumer([task], { RETRY_SCHEDULE: "20" });
    // The receiver asked for an hour; the retry is clamped to 2x the scheduled 20 s (+-20%),
    // and the endpoint is paused just as long.
    const delay = requeued[0]?.delaySeconds ?? 0;
    expect(delay).toBeGreaterThanOrEqual(32);
    expect(delay).toBeLessThanOrEqual(48);
    const health = await gate(ep.id).health();
    const pausedMs = Date.parse(health.pausedUntil ?? "") - Date.now();
    expect(pausedMs).toBeGreaterThan((delay - 5) * 1000);
    expect(pausedMs).toBeLessThanOrEqual(delay * 1000);
  });

  it("a lane starts no request that could outlive its lease; the rest wait unattempted", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { maxConcurrency: 1 });
    // Each answer takes 10 s of (faked) wall time: after three, a fourth could run past the
    // 45 s lease (15 s timeout + 30 s), so it is not started.
    vi.useFakeTimers({ toFake: ["Date"] });
    const seen = receiver(() => {
      vi.setSystemTime(Date.now() + 10_000);
      return new Response("ok");
    });
    const requeued = catchRequeues();
    // A first success ends slow start, so the one slot is reused for the batch.
    const [warm] = await seedDeliveries(appId, [ep.id]);
    await runConsumer([warm], LONG);
    expect(seen).toHaveLength(1);

    const tasks = await seedMany(appId, ep.id, 6);
    await runConsumer(tasks, LONG);
    expect(seen).toHaveLength(1 + 3);
    expect(requeued).toHaveLength(3);
    for (const r of requeued) {
      expect(await deliveryRow(r.deliveryId)).toMatchObject({ status: "pending", attempts: 0 });
    }
  });

  it("auto-disables an endpoint without a success for the window: API, operator event, notice", async () => {
    const operator = await newApp("operator");
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    // Nine failures recorded six days ago; the tenth arrives through the consumer.
    const stub = gate(ep.id);
    const t0 = Date.now() - 6 * DAY_MS;
    await stub.admit(1, { rateLimit: null, maxConcurrency: 10, fifo: false }, t0);
    const nine = Array.from({ length: 9 }, (_, i) => ({
      leaseId: `old_${i}`,
      ok: false,
      countsAsFailure: true,
      latencyMs: 10,
    }));
    await stub.report(nine, t0 + 1000);
    // Past the breaker's cool-down, so the consumer's request is a probe.
    receiver(() => new Response("down", { status: 500 }));
    catchRequeues();
    const [task] = await seedDeliveries(appId, [ep.id]);
    await runConsumer([task], { ...LONG, OPERATOR_APP_ID: operator.appId });

    const got = await call<{ disabled: boolean; disabledReason: string; disabledAt: string }>(
      "GET",
      `/v1/apps/${appId}/endpoints/${ep.id}`,
    );
    expect(got.body).toMatchObject({
      disabled: true,
      disabledReason: "No successful delivery for 6 days and 10 failures.",
    });
    expect(Math.abs(Date.parse(got.body.disabledAt) - Date.now())).toBeLessThan(60_000);
    expect(await operatorEvents(ep.id)).toEqual([
      { type: "endpoint.disabled", detail: got.body.disabledReason },
    ]);
    expect(await operatorNotices(operator.appId)).toEqual([
      expect.objectContaining({
        eventType: "endpoint.disabled",
        payload: expect.objectContaining({ endpointId: ep.id, reason: got.body.disabledReason }),
      }),
    ]);
  });

  it("lists what Hooklane did on its own through the API, newest first, a page at a time", async () => {
    const { appId } = await newApp();
    const a = await newEndpoint(appId, { url: "https://gone-a.example.com/" });
    const b = await newEndpoint(appId, { url: "https://gone-b.example.com/" });
    receiver(() => new Response("gone", { status: 410 }));
    catchRequeues();
    await runConsumer(await seedDeliveries(appId, [a.id]), LONG);
    await runConsumer(await seedDeliveries(appId, [b.id]), LONG);

    type Page = {
      data: { type: string; endpointId: string; detail: string }[];
      nextCursor: string | null;
    };
    const path = `/v1/apps/${appId}/operator-events`;
    const first = await call<Page>("GET", `${path}?limit=1`);
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual([
      expect.objectContaining({ type: "endpoint.disabled", endpointId: b.id }),
    ]);
    expect(first.body.data[0]?.detail).toContain("410");
    const second = await call<Page>("GET", `${path}?limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body.data.map((e) => e.endpointId)).toEqual([a.id]);
    expect(second.body.nextCursor).toBeNull();
  });

  it("re-enabling an endpoint starts its gate over: breaker closed, no failures", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const five = Array.from({ length: 5 }, (_, i) => ({
      leaseId: `f_${i}`,
      ok: false,
      countsAsFailure: true,
      latencyMs: 10,
    }));
    await gate(ep.id).report(five);
    const health = () =>
      call<{ breaker: string; consecutiveFailures: number; disabled: boolean }>(
        "GET",
        `/v1/apps/${appId}/endpoints/${ep.id}/health`,
      );
    expect((await health()).body).toMatchObject({ breaker: "open", consecutiveFailures: 5 });

    const path = `/v1/apps/${appId}/endpoints/${ep.id}`;
    expect((await call("PATCH", path, { body: { disabled: true } })).status).toBe(200);
    expect((await health()).body).toMatchObject({ breaker: "open", disabled: true });
    expect((await call("PATCH", path, { body: { disabled: false } })).status).toBe(200);
    expect((await health()).body).toMatchObject({
      breaker: "closed",
      consecutiveFailures: 0,
      disabled: false,
    });
  });

  it("health shows breaker, probe time, tokens, in-flight, traffic, latency and backlog", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { rateLimit: 5 });
    let n = 0;
    receiver(() => new Response("x", { status: ++n <= 2 ? 200 : 500 }));
    catchRequeues();
    const tasks = await seedMany(appId, ep.id, 4);
    await runConsumer(tasks, LONG);
    const res = await call<Record<string, unknown>>(
      "GET",
      `/v1/apps/${appId}/endpoints/${ep.id}/health`,
    );
    expect(res.status).toBe(200);
    const h = res.body as {
      breaker: string;
      consecutiveFailures: number;
      nextProbeAt: string | null;
      tokens: number | null;
      inFlight: number;
      waiting: number;
      lastHour: { requests: number; successRate: number; p50Ms: number; p95Ms: number };
      lastDay: { requests: number };
    };
    expect(h.breaker).toBe("closed");
    expect(h.nextProbeAt).toBeNull();
    expect(h.inFlight).toBe(0);
    expect(typeof h.tokens).toBe("number");
    // How many were sent depends on the pacing (5/s); the counts must agree with each other.
    const sent = n;
    expect(sent).toBeGreaterThanOrEqual(2);
    expect(h.consecutiveFailures).toBe(sent - 2);
    expect(h.lastHour).toMatchObject({ requests: sent, successRate: 2 / sent });
    expect(h.lastHour.p50Ms).toBeGreaterThanOrEqual(0);
    expect(h.lastHour.p95Ms).toBeGreaterThanOrEqual(h.lastHour.p50Ms);
    expect(h.lastDay.requests).toBe(sent);
    // Everything not yet succeeded is waiting: retries and deferrals alike.
    expect(h.waiting).toBe(4 - 2);
  });
});
