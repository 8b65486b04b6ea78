import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { OpenRow } from "../../src/db/open-deliveries";
import { retryWindowMs } from "../../src/delivery/retry";
import { EndpointGate } from "../../src/gate/endpoint-gate";
import type { BacklogNote, GateOutcome } from "../../src/gate/types";
import { parseDeliveryId } from "../../src/lib/ids";
import { readOps, resetOps } from "../../src/lib/ops";
import { sweep } from "../../src/sweeper/sweep";
import { call, newApp, newEndpoint } from "../helpers";
import {
  appOfEndpoint,
  attemptRows,
  deadLetterOf,
  deliveryRow,
  eventually,
  operatorEvents,
  operatorNotices,
  receiver,
  runConsumer,
  seedDeliveries,
} from "./fixtures";

/**
 * The consumer and each endpoint's gate together: how often the gate is asked, what waits (as
 * an open row, acked from the queue) and for how long, what the gate is told so it wakes it,
 * expiry of the retry window, pauses, auto-disable and its reset.
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

/**
 * When an endpoint's pause ends, as its gate says (the consumer's note can be a few ms earlier:
 * it counts from the batch's start).
 */
async function pauseEnd(endpointId: string): Promise<number> {
  const { pausedUntil } = await gate(endpointId).health();
  if (pausedUntil === null) throw new Error("the endpoint is not paused");
  return Date.parse(pausedUntil);
}

/** The wakes the gates sent, caught instead of being consumed by the test runtime. */
let wakes: unknown[] = [];

beforeEach(() => {
  wakes = [];
  vi.spyOn(env.DELIVERIES, "send").mockImplementation(async (body) => {
    wakes.push(body);
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
  });
});

afterEach(() => {
  vi.useRealTimers();
});

/** The wake an endpoint's gate sends when its parked deliveries are due, run through the consumer. */
async function wake(endpointId: string, vars: Partial<Record<keyof Env, string>> = {}) {
  return runConsumer([{ kind: "wake", endpointId, appId: await appOfEndpoint(endpointId) }], vars);
}

/** What the consumer told an endpoint's gate about what it left parked, one note per report. */
function gateNotes(): (endpointId: string) => BacklogNote[] {
  const report = vi.spyOn(EndpointGate.prototype, "report");
  return (endpointId) =>
    report.mock.calls.flatMap(([, , note]) => (note?.endpointId === endpointId ? [note] : []));
}

function pairOf(deliveryId: string) {
  const pair = parseDeliveryId(deliveryId);
  if (!pair) throw new Error(`not a delivery id: ${deliveryId}`);
  return pair;
}

/** A delivery's open row, or null (on the first-try path, or ended). */
async function openRow(deliveryId: string): Promise<OpenRow | null> {
  const { endpointId, messageId } = pairOf(deliveryId);
  return env.DB.prepare("SELECT * FROM open_deliveries WHERE endpoint_id = ? AND message_id = ?")
    .bind(endpointId, messageId)
    .first<OpenRow>();
}

/** Lets time pass for an open delivery: it is due now. */
async function makeDue(deliveryId: string): Promise<void> {
  const { endpointId, messageId } = pairOf(deliveryId);
  await env.DB.prepare(
    "UPDATE open_deliveries SET due_at = ? WHERE endpoint_id = ? AND message_id = ?",
  )
    .bind(Date.now() - 1000, endpointId, messageId)
    .run();
}

/** Moves a delivery's first attempt `agoMs` back (one attempt made), its retry due now. */
async function triedOnceAgo(deliveryId: string, agoMs: number): Promise<void> {
  const { endpointId, messageId } = pairOf(deliveryId);
  const changed = await env.DB.prepare(
    `UPDATE open_deliveries SET attempts = 1, total_attempts = 1, first_attempt_at = ?,
       last_error = 'HTTP 500', due_at = ? WHERE endpoint_id = ? AND message_id = ?`,
  )
    .bind(Date.now() - agoMs, Date.now() - 1000, endpointId, messageId)
    .run();
  if (changed.meta.changes !== 1) throw new Error("the delivery has no open row");
}

/** The `n` a request's payload was seeded with. */
function nOf(req: { body: string }): number {
  return (JSON.parse(req.body) as { data: { n: number } }).data.n;
}

async function seedMany(appId: string, endpointId: string, n: number) {
  const tasks = [];
  for (let i = 0; i < n; i++) tasks.push(...(await seedDeliveries(appId, [endpointId], { n: i })));
  return tasks;
}

/** Messages to a FIFO endpoint as ingest writes them: an open row each, in message order. */
async function seedFifo(appId: string, endpointId: string, n: number) {
  const tasks = [];
  for (let i = 0; i < n; i++)
    tasks.push(...(await seedDeliveries(appId, [endpointId], { n: i }, Date.now(), [endpointId])));
  return tasks;
}

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
    const notes = gateNotes();
    await pause(ep.id, 60_000);
    const tasks = await seedFifo(appId, ep.id, 3);
    const before = Date.now();
    const woken = await wake(ep.id, LONG);
    const after = Date.now();

    expect(woken.explicitAcks).toEqual(["q0"]);
    expect(seen).toHaveLength(0);
    for (const t of tasks) {
      expect(await openRow(t.deliveryId)).toMatchObject({ state: "waiting", attempts: 0 });
      expect(await deliveryRow(t.deliveryId)).toMatchObject({ status: "pending", attempts: 0 });
    }
    // The gate is told to wake the endpoint when its pause ends.
    const parkedUntil = notes(ep.id).at(-1)?.parkedUntil ?? 0;
    expect(parkedUntil).toBeGreaterThanOrEqual(before + 58_000);
    expect(parkedUntil).toBeLessThanOrEqual(after + 60_000);
    const resume = await pauseEnd(ep.id);
    expect(resume - parkedUntil).toBeLessThan(1000);

    // Then it does, and the wake sends the backlog in message order.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(resume);
    expect(wakes).toEqual([]);
    await runDurableObjectAlarm(gate(ep.id));
    expect(wakes).toEqual([{ kind: "wake", endpointId: ep.id, appId: await appOfEndpoint(ep.id) }]);
    await runConsumer(wakes, LONG);
    expect(seen.map(nOf)).toEqual([0, 1, 2]);
    for (const t of tasks) {
      expect(await attemptRows(t.deliveryId)).toMatchObject([{ attempt: 1, status: "succeeded" }]);
    }
  });

  it("what waits behind a failing FIFO head comes back with the head's retry", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { ordering: "fifo" });
    let up = false;
    const seen = receiver(() => (up ? new Response("ok") : new Response("down", { status: 500 })));
    const notes = gateNotes();
    const tasks = await seedFifo(appId, ep.id, 3);
    const [head, ...behind] = tasks;
    if (!head) throw new Error("seeding failed");
    const before = Date.now();
    await wake(ep.id, LONG);
    const after = Date.now();

    // The head is tried once and fails; the two behind it are never sent.
    expect(seen.map(nOf)).toEqual([0]);
    const headRow = await openRow(head.deliveryId);
    expect(headRow).toMatchObject({ state: "waiting", attempts: 1, last_error: "HTTP 500" });
    expect(headRow?.due_at).toBeGreaterThanOrEqual(before + 240_000);
    expect(headRow?.due_at).toBeLessThanOrEqual(after + 360_000);
    for (const t of behind) {
      expect(await openRow(t.deliveryId)).toMatchObject({
        state: "waiting",
        attempts: 0,
        due_at: headRow?.due_at,
      });
      expect(await deliveryRow(t.deliveryId)).toMatchObject({ status: "pending", attempts: 0 });
    }
    // The gate wakes the endpoint for the head's retry, not before.
    expect(notes(ep.id).at(-1)?.parkedUntil).toBe(headRow?.due_at);

    // A wake before then sends nothing.
    up = true;
    await wake(ep.id, LONG);
    expect(seen).toHaveLength(1);

    // Once it is due: the head first, then the rest, in order.
    await makeDue(head.deliveryId);
    await wake(ep.id, LONG);
    expect(seen.map(nOf)).toEqual([0, 0, 1, 2]);
    expect(await attemptRows(head.deliveryId)).toMatchObject([
      { attempt: 1, status: "failed" },
      { attempt: 2, status: "succeeded" },
    ]);
    for (const t of behind) {
      expect(await attemptRows(t.deliveryId)).toMatchObject([{ attempt: 1, status: "succeeded" }]);
      expect(await openRow(t.deliveryId)).toBeNull();
    }
  });

  it("a FIFO head that is dead-lettered unblocks the deliveries behind it", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { ordering: "fifo" });
    const seen = receiver((req) =>
      nOf(req) === 0 ? new Response("down", { status: 500 }) : new Response("ok"),
    );
    const [head, second, third] = await seedFifo(appId, ep.id, 3);
    if (!head || !second || !third) throw new Error("seeding failed");
    // One retry in the schedule, and the head has used its first try: this failure is its last.
    await triedOnceAgo(head.deliveryId, 1000);
    const woken = await wake(ep.id, { RETRY_SCHEDULE: "1" });

    expect(woken.explicitAcks).toEqual(["q0"]);
    // The same walk goes on past the dead head.
    expect(seen.map(nOf)).toEqual([0, 1, 2]);
    expect(await deliveryRow(head.deliveryId)).toMatchObject({ status: "dead" });
    expect(await deadLetterOf(head.deliveryId)).toMatchObject({
      reason: "exhausted",
      attempts: 2,
    });
    expect(await attemptRows(head.deliveryId)).toMatchObject([{ attempt: 2, status: "dead" }]);
    expect(await deliveryRow(second.deliveryId)).toMatchObject({ status: "succeeded" });
    expect(await deliveryRow(third.deliveryId)).toMatchObject({ status: "succeeded" });
    for (const t of [head, second, third]) expect(await openRow(t.deliveryId)).toBeNull();
  });

  it("a deferral past the retry window dead-letters the delivery as expired", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const seen = receiver(() => new Response("ok"));
    const dlq = vi.spyOn(env.DEAD_LETTERS, "sendBatch");
    // Accepted almost a whole window ago and never sent; the gate now says wait a minute.
    const window = retryWindowMs([300, 600], 15_000);
    const [task] = await seedDeliveries(appId, [ep.id], { n: 1 }, Date.now() - window + 30_000);
    if (!task) throw new Error("seeding failed");
    await pause(ep.id, 60_000);
    const result = await runConsumer([task], LONG);

    expect(result.explicitAcks).toEqual(["q0"]);
    expect(seen).toHaveLength(0);
    expect(await openRow(task.deliveryId)).toBeNull();
    expect(await deliveryRow(task.deliveryId)).toMatchObject({
      status: "dead",
      attempts: 0,
      last_error: "expired",
    });
    expect(await deadLetterOf(task.deliveryId)).toMatchObject({ reason: "expired", attempts: 0 });
    expect(dlq.mock.calls.flatMap(([m]) => [...m]).map((m) => m.body)).toEqual([
      { kind: "dead", deliveryId: task.deliveryId, reason: "expired" },
    ]);
  });

  it("a deferral inside the retry window waits without using an attempt", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const seen = receiver((_req, n) => new Response("x", { status: n === 1 ? 500 : 200 }));
    const notes = gateNotes();
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("seeding failed");
    await runConsumer([task], LONG);
    // Its first attempt was 15 minutes ago and its retry is due, but the gate is paused.
    await triedOnceAgo(task.deliveryId, 1000 * (300 + 600));
    const waiting = await openRow(task.deliveryId);
    await pause(ep.id, 60_000);
    const before = Date.now();
    const woken = await wake(ep.id, LONG);
    const after = Date.now();

    expect(woken.explicitAcks).toEqual(["q0"]);
    expect(seen).toHaveLength(1);
    expect(await openRow(task.deliveryId)).toEqual(waiting);
    expect(await deliveryRow(task.deliveryId)).toMatchObject({ status: "failed", attempts: 1 });
    const parkedUntil = notes(ep.id).at(-1)?.parkedUntil ?? 0;
    expect(parkedUntil).toBeGreaterThanOrEqual(before + 58_000);
    expect(parkedUntil).toBeLessThanOrEqual(after + 60_000);

    // After the pause it goes as its second attempt: waiting used none.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(await pauseEnd(ep.id));
    await wake(ep.id, LONG);
    expect(seen).toHaveLength(2);
    expect(await deliveryRow(task.deliveryId)).toMatchObject({ status: "succeeded" });
    expect(await attemptRows(task.deliveryId)).toMatchObject([
      { attempt: 1, status: "failed" },
      { attempt: 2, status: "succeeded" },
    ]);
  });

  it("pauses the endpoint on a 429 with an HTTP-date Retry-After, no longer than the retry", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const retryAt = new Date(Date.now() + 3_600_000).toUTCString();
    receiver(() => new Response("slow down", { status: 429, headers: { "retry-after": retryAt } }));
    const notes = gateNotes();
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("seeding failed");
    const before = Date.now();
    await runConsumer([task], { RETRY_SCHEDULE: "20" });
    const after = Date.now();

    // The receiver asked for an hour; the retry is clamped to 2x the scheduled 20 s (+-20%),
    // and the endpoint is paused just as long.
    const dueAt = (await openRow(task.deliveryId))?.due_at ?? 0;
    expect(dueAt).toBeGreaterThanOrEqual(before + 32_000);
    expect(dueAt).toBeLessThanOrEqual(after + 48_000);
    const health = await gate(ep.id).health();
    const pausedUntil = Date.parse(health.pausedUntil ?? "");
    expect(Math.abs(pausedUntil - dueAt)).toBeLessThanOrEqual(1000);
    expect(notes(ep.id)).toEqual([expect.objectContaining({ parkedUntil: dueAt })]);
  });

  it("parks what waits for a slot without using an attempt; the report that frees a slot wakes it", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { maxConcurrency: 2 });
    const seen = receiver(() => new Response("ok"));
    const notes = gateNotes();
    const tasks = await seedMany(appId, ep.id, 4);
    const before = Date.now();
    const result = await runConsumer(tasks, LONG);
    const after = Date.now();

    // A new endpoint's two slots carry one request each; the other two wait for a slot, due
    // at once: what holds them back is the slot, not a time.
    expect(result.explicitAcks).toHaveLength(4);
    expect(seen.map(nOf).sort()).toEqual([0, 1]);
    for (const t of tasks.slice(2)) {
      const open = await openRow(t.deliveryId);
      expect(open).toMatchObject({ state: "waiting", attempts: 0, total_attempts: 0 });
      expect(open?.due_at).toBeGreaterThanOrEqual(before);
      expect(open?.due_at).toBeLessThanOrEqual(after);
    }
    const parkedUntil = notes(ep.id).at(-1)?.parkedUntil ?? 0;
    expect(parkedUntil).toBeGreaterThanOrEqual(before);
    expect(parkedUntil).toBeLessThanOrEqual(after);

    // The same report freed both slots: the gate's alarm, set for now, sends one wake (the
    // runtime may already be running it), which sends them.
    await runDurableObjectAlarm(gate(ep.id));
    await eventually(async () => wakes.length > 0, 5_000);
    expect(wakes).toEqual([{ kind: "wake", endpointId: ep.id, appId: await appOfEndpoint(ep.id) }]);
    await runConsumer(wakes, LONG);
    expect(seen.map(nOf).sort()).toEqual([0, 1, 2, 3]);
    for (const t of tasks) {
      expect(await attemptRows(t.deliveryId)).toMatchObject([{ attempt: 1, status: "succeeded" }]);
    }
    // Nothing waits any more, so no further wake goes out.
    wakes = [];
    await runDurableObjectAlarm(gate(ep.id));
    expect(wakes).toEqual([]);
  });

  it("sends no wake for a retry before it is due", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    receiver(() => new Response("down", { status: 500 }));
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("seeding failed");
    await runConsumer([task], LONG);
    const open = await openRow(task.deliveryId);
    expect(open?.due_at).toBeGreaterThan(Date.now() + 200_000);
    await runDurableObjectAlarm(gate(ep.id));
    await new Promise((r) => setTimeout(r, 200));
    expect(wakes.filter((w) => (w as { endpointId?: string }).endpointId === ep.id)).toEqual([]);
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
    const notes = gateNotes();
    // A first success ends slow start, so the one slot is reused for the batch.
    const [warm] = await seedDeliveries(appId, [ep.id]);
    await runConsumer([warm], LONG);
    expect(seen).toHaveLength(1);

    const tasks = await seedMany(appId, ep.id, 6);
    const result = await runConsumer(tasks, LONG);
    expect(result.explicitAcks).toHaveLength(6);
    expect(seen.slice(1).map(nOf)).toEqual([0, 1, 2]);
    const left = tasks.slice(3);
    const dues: number[] = [];
    for (const t of left) {
      const open = await openRow(t.deliveryId);
      expect(open).toMatchObject({ state: "waiting", attempts: 0, first_attempt_at: null });
      dues.push(open?.due_at ?? 0);
      expect(await deliveryRow(t.deliveryId)).toMatchObject({ status: "pending", attempts: 0 });
    }
    // They go next: the gate wakes the endpoint as soon as they are due.
    expect(notes(ep.id).at(-1)?.parkedUntil).toBe(Math.min(...dues));

    // The next wake takes them, each as its first attempt.
    for (const t of left) await makeDue(t.deliveryId);
    await wake(ep.id, LONG);
    expect(seen.slice(1).map(nOf)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const t of left) {
      expect(await attemptRows(t.deliveryId)).toMatchObject([{ attempt: 1, status: "succeeded" }]);
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
    const [task] = await seedDeliveries(appId, [ep.id]);
    const operatorEnv = { ...LONG, OPERATOR_APP_ID: operator.appId };
    await runConsumer([task], operatorEnv);
    // The sweeper sends the operator event on to the operator's app.
    await sweep({ ...env, ...operatorEnv } as Env);

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
    const notices = await operatorNotices(operator.appId);
    expect(notices.filter((n) => n.payload.endpointId === ep.id)).toEqual([
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
    // Every answer takes 100 ms: the latency figures must say so.
    receiver(async () => {
      await new Promise((r) => setTimeout(r, 100));
      return new Response("x", { status: ++n <= 2 ? 200 : 500 });
    });
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
    // The histogram answers within ~9% (its bucket width) of the true 100 ms, plus timer slack.
    expect(h.lastHour.p50Ms).toBeGreaterThanOrEqual(90);
    expect(h.lastHour.p50Ms).toBeLessThan(160);
    expect(h.lastHour.p95Ms).toBeGreaterThanOrEqual(h.lastHour.p50Ms);
    expect(h.lastHour.p95Ms).toBeLessThan(160);
    expect(h.lastDay.requests).toBe(sent);
    // Everything not yet succeeded is waiting: retries and deferrals alike.
    expect(h.waiting).toBe(4 - 2);
  });
});
