import { createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { OpenRow } from "../../src/db/open-deliveries";
import { EndpointGate } from "../../src/gate/endpoint-gate";
import type { BacklogNote } from "../../src/gate/types";
import { fromBase64 } from "../../src/lib/encoding";
import { parseDeliveryId } from "../../src/lib/ids";
import { sweep } from "../../src/sweeper/sweep";
import { call, newApp, newEndpoint } from "../helpers";
import {
  appOfEndpoint,
  attemptRows,
  deadLetterOf,
  deliveryRow,
  logEntries,
  operatorEvents,
  operatorNotices,
  receiver,
  runConsumer,
  seedDeliveries,
} from "./fixtures";

const LONG = { RETRY_SCHEDULE: "300,600" };

/** A delivery's open row, or null (on the first-try path, or ended). */
async function openRow(deliveryId: string): Promise<OpenRow | null> {
  const pair = parseDeliveryId(deliveryId);
  if (!pair) throw new Error(`not a delivery id: ${deliveryId}`);
  return env.DB.prepare("SELECT * FROM open_deliveries WHERE endpoint_id = ? AND message_id = ?")
    .bind(pair.endpointId, pair.messageId)
    .first<OpenRow>();
}

/** Lets time pass for an open delivery: it is due now. */
async function makeDue(deliveryId: string): Promise<void> {
  const pair = parseDeliveryId(deliveryId);
  if (!pair) throw new Error(`not a delivery id: ${deliveryId}`);
  await env.DB.prepare(
    "UPDATE open_deliveries SET due_at = ? WHERE endpoint_id = ? AND message_id = ?",
  )
    .bind(Date.now() - 1000, pair.endpointId, pair.messageId)
    .run();
}

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

/** The delay each queue message was retried with, by message id (the queue result omits it). */
function retryDelays(): () => Map<string, number | undefined> {
  const [probe] = createMessageBatch("probe", [
    { id: "probe", timestamp: new Date(), attempts: 1, body: null },
  ]).messages;
  const retry = vi.spyOn(Object.getPrototypeOf(probe) as Message, "retry");
  return () =>
    new Map(
      retry.mock.calls.map(([options], i) => [
        (retry.mock.contexts[i] as Message).id,
        options?.delaySeconds,
      ]),
    );
}

/** An open row falls due between `lo` and `hi` seconds after a batch run between `from` and `to`. */
function expectDueIn(row: OpenRow | null, from: number, to: number, lo: number, hi: number) {
  expect(row?.due_at).toBeGreaterThanOrEqual(from + lo * 1000);
  expect(row?.due_at).toBeLessThanOrEqual(to + hi * 1000);
}

// The gates' wakes are caught, not consumed by the test runtime in the background: each test
// runs the wakes it needs itself.
beforeEach(() => {
  vi.spyOn(env.DELIVERIES, "send").mockResolvedValue({
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
  });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("delivery consumer", () => {
  it("sends the Standard Webhooks body and headers, verifiable with standardwebhooks", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, {
      url: "https://a.example.com/hook",
      headers: { "x-tenant": "t1" },
    });
    const seen = receiver(() => new Response("thanks"));
    const [task] = await seedDeliveries(appId, [ep.id], { amount: 42 });
    const result = await runConsumer([task]);

    expect(result.explicitAcks).toEqual(["q0"]);
    expect(seen).toHaveLength(1);
    const req = seen[0];
    if (!req || !task) throw new Error("no request");
    expect(req.url).toBe("https://a.example.com/hook");
    expect(req.headers["webhook-id"]).toBe(task.messageId);
    expect(req.headers["x-tenant"]).toBe("t1");
    expect(req.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(req.body) as { type: string; timestamp: string; data: unknown };
    expect(body.type).toBe("order.created");
    expect(body.data).toEqual({ amount: 42 });
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
    expect(new Webhook(ep.secret).verify(req.body, req.headers)).toEqual(body);

    expect(await deliveryRow(task.deliveryId)).toMatchObject({ status: "succeeded", attempts: 1 });
    const attempts = await attemptRows(task.deliveryId);
    expect(attempts).toMatchObject([
      { attempt: 1, status_code: 200, error: null, response_excerpt: "thanks" },
    ]);
  });

  it("signs with both secrets during a rotation, each verifying alone", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const rotated = await call<{ secret: string }>(
      "POST",
      `/v1/apps/${appId}/auth-profiles/${ep.authProfileId}/rotate`,
      { body: { graceSeconds: 3600 } },
    );
    expect(rotated.status).toBe(200);
    const seen = receiver(() => new Response("ok"));
    const [task] = await seedDeliveries(appId, [ep.id]);
    await runConsumer([task]);
    const req = seen[0];
    if (!req) throw new Error("no request");
    const signatures = req.headers["webhook-signature"]?.split(" ") ?? [];
    expect(signatures).toHaveLength(2);
    expect(() => new Webhook(rotated.body.secret).verify(req.body, req.headers)).not.toThrow();
    expect(() => new Webhook(ep.secret).verify(req.body, req.headers)).not.toThrow();
    // New first.
    const onlyNew = { ...req.headers, "webhook-signature": signatures[0] ?? "" };
    expect(() => new Webhook(rotated.body.secret).verify(req.body, onlyNew)).not.toThrow();
  });

  it("signs ed25519 profiles with v1a, verifiable with the public key", async () => {
    const { appId } = await newApp();
    const profile = await call<{ id: string; publicKey: string }>(
      "POST",
      `/v1/apps/${appId}/auth-profiles`,
      {
        body: { type: "ed25519" },
      },
    );
    const ep = await newEndpoint(appId, { authProfileId: profile.body.id });
    const seen = receiver(() => new Response("ok"));
    const [task] = await seedDeliveries(appId, [ep.id]);
    await runConsumer([task]);
    const req = seen[0];
    if (!req) throw new Error("no request");
    const [version, sig] = (req.headers["webhook-signature"] ?? "").split(",");
    expect(version).toBe("v1a");
    const key = await crypto.subtle.importKey(
      "raw",
      fromBase64(profile.body.publicKey.replace(/^whpk_/, "")),
      { name: "Ed25519" },
      false,
      ["verify"],
    );
    const content = new TextEncoder().encode(
      `${req.headers["webhook-id"]}.${req.headers["webhook-timestamp"]}.${req.body}`,
    );
    expect(
      await crypto.subtle.verify({ name: "Ed25519" }, key, fromBase64(sig ?? ""), content),
    ).toBe(true);
  });

  it("sends Authorization: Bearer for bearer profiles", async () => {
    const { appId } = await newApp();
    const token = "tok_abcdefghijklmnopqrstuvwxyz";
    const profile = await call<{ id: string }>("POST", `/v1/apps/${appId}/auth-profiles`, {
      body: { type: "bearer", secret: token },
    });
    const ep = await newEndpoint(appId, { authProfileId: profile.body.id });
    const seen = receiver(() => new Response("ok"));
    const [task] = await seedDeliveries(appId, [ep.id]);
    await runConsumer([task]);
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${token}`);
    expect(seen[0]?.headers["webhook-signature"]).toBeUndefined();
  });

  it("parks a failure until its scheduled retry (+-20%), acks it and tells the gate when", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    receiver(() => new Response("boom", { status: 500 }));
    const enqueued = vi.spyOn(env.DELIVERIES, "sendBatch");
    const notes = gateNotes();
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("seeding failed");
    const before = Date.now();
    const result = await runConsumer([task], LONG);
    const after = Date.now();

    // Acked, not handed back to the queue with a delay: the retry waits in D1.
    expect(result.explicitAcks).toEqual(["q0"]);
    expect(result.retryMessages).toEqual([]);
    expect(enqueued).not.toHaveBeenCalled();
    const open = await openRow(task.deliveryId);
    expect(open).toMatchObject({
      state: "waiting",
      attempts: 1,
      total_attempts: 1,
      last_error: "HTTP 500",
    });
    expect(open?.first_attempt_at).toBeGreaterThanOrEqual(before);
    expectDueIn(open, before, after, 240, 360);
    expect(await deliveryRow(task.deliveryId)).toMatchObject({
      status: "failed",
      attempts: 1,
      last_status_code: 500,
      last_error: "HTTP 500",
      next_attempt_at: open?.due_at,
    });
    // The gate wakes the endpoint when the retry is due.
    expect(notes(ep.id)).toEqual([expect.objectContaining({ parkedUntil: open?.due_at })]);
  });

  it("sends a parked retry when it is due, as the delivery's second attempt", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const seen = receiver((_req, n) => new Response("x", { status: n === 1 ? 503 : 200 }));
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("seeding failed");
    await runConsumer([task], LONG);

    // A wake before the retry is due hands nothing out.
    await wake(ep.id, LONG);
    expect(seen).toHaveLength(1);
    await makeDue(task.deliveryId);
    const woken = await wake(ep.id, LONG);
    expect(woken.explicitAcks).toEqual(["q0"]);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.headers["webhook-id"]).toBe(task.messageId);
    expect(await openRow(task.deliveryId)).toBeNull();
    expect(await attemptRows(task.deliveryId)).toMatchObject([
      { attempt: 1, status: "failed", status_code: 503 },
      { attempt: 2, status: "succeeded", status_code: 200 },
    ]);
    expect(await deliveryRow(task.deliveryId)).toMatchObject({
      status: "succeeded",
      attempts: 2,
      next_attempt_at: null,
    });
  });

  it.each([
    ["429", 429, "100000", 480, 720],
    ["503", 503, "1", 240, 360],
    ["500 (ignored)", 500, "100000", 240, 360],
  ])(
    "clamps Retry-After on %s to [scheduled, 2x scheduled]",
    async (_name, status, retryAfter, lo, hi) => {
      const { appId } = await newApp();
      const ep = await newEndpoint(appId);
      receiver(() => new Response("slow down", { status, headers: { "retry-after": retryAfter } }));
      const [task] = await seedDeliveries(appId, [ep.id]);
      if (!task) throw new Error("seeding failed");
      const before = Date.now();
      await runConsumer([task], LONG);
      const after = Date.now();
      const open = await openRow(task.deliveryId);
      expect(open).toMatchObject({ state: "waiting", attempts: 1 });
      expectDueIn(open, before, after, lo, hi);
    },
  );

  it("tries once more at once when the connection resets before any answer (stale keep-alive)", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const seen = receiver((_req, n) => {
      if (n === 1) throw new TypeError("Network connection lost.");
      return new Response("ok");
    });
    const [task] = await seedDeliveries(appId, [ep.id]);
    const result = await runConsumer([task], LONG);

    expect(result.explicitAcks).toEqual(["q0"]);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.headers["webhook-id"]).toBe(seen[0]?.headers["webhook-id"]);
    expect(await deliveryRow(task?.deliveryId ?? "")).toMatchObject({
      status: "succeeded",
      attempts: 1,
    });
    expect(await attemptRows(task?.deliveryId ?? "")).toMatchObject([
      { attempt: 1, status_code: 200, error: null },
    ]);
  });

  it("records a reset as a failed attempt when the fresh try resets too", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const seen = receiver(() => {
      throw new TypeError("Network connection lost.");
    });
    const [task] = await seedDeliveries(appId, [ep.id]);
    await runConsumer([task], LONG);

    expect(seen).toHaveLength(2);
    expect(await deliveryRow(task?.deliveryId ?? "")).toMatchObject({
      status: "failed",
      attempts: 1,
      last_error: "reset",
    });
    expect(await attemptRows(task?.deliveryId ?? "")).toMatchObject([
      { attempt: 1, status_code: null, error: "reset" },
    ]);
  });

  it("with successRule 200, a 204 is a failed attempt retried later; 200 succeeds", async () => {
    const { appId } = await newApp();
    const strict = await newEndpoint(appId, {
      url: "https://strict.example.com/",
      successRule: "200",
    });
    const loose = await newEndpoint(appId, { url: "https://loose.example.com/" });
    receiver(() => new Response(null, { status: 204 }));
    const [toStrict, toLoose] = await seedDeliveries(appId, [strict.id, loose.id]);
    await runConsumer([toStrict, toLoose], LONG);
    expect(await deliveryRow(toStrict?.deliveryId ?? "")).toMatchObject({
      status: "failed",
      last_status_code: 204,
    });
    expect(await deliveryRow(toLoose?.deliveryId ?? "")).toMatchObject({ status: "succeeded" });
  });

  it("never follows a redirect: a 3xx is a failed attempt", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const seen = receiver(
      () =>
        new Response(null, {
          status: 302,
          headers: { location: "http://169.254.169.254/latest/meta-data" },
        }),
    );
    const [task] = await seedDeliveries(appId, [ep.id]);
    await runConsumer([task], LONG);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.redirect).toBe("manual");
    expect(await deliveryRow(task?.deliveryId ?? "")).toMatchObject({
      status: "failed",
      last_status_code: 302,
    });
  });

  it("dead-letters on 410 Gone and disables the endpoint with a reason", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    receiver(() => new Response("gone", { status: 410 }));
    const dlq = vi.spyOn(env.DEAD_LETTERS, "sendBatch");
    const [task] = await seedDeliveries(appId, [ep.id]);
    const result = await runConsumer([task], LONG);
    expect(result.explicitAcks).toEqual(["q0"]);
    expect(await deliveryRow(task?.deliveryId ?? "")).toMatchObject({
      status: "dead",
      last_status_code: 410,
    });
    const dead = await call<{ data: { deliveryId: string; reason: string }[] }>(
      "GET",
      `/v1/apps/${appId}/dead-letters`,
    );
    expect(dead.body.data).toEqual([
      expect.objectContaining({ deliveryId: task?.deliveryId, reason: "gone" }),
    ]);
    const endpoint = await call("GET", `/v1/apps/${appId}/endpoints/${ep.id}`);
    expect(endpoint.body).toMatchObject({
      disabled: true,
      disabledReason: expect.stringContaining("410"),
    });
    expect(dlq.mock.calls.flatMap(([m]) => [...m]).map((m) => m.body)).toEqual([
      { kind: "dead", deliveryId: task?.deliveryId, reason: "gone" },
    ]);
  });

  it("dead-letters after the last attempt", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    receiver(() => new Response("no", { status: 500 }));
    const dlq = vi.spyOn(env.DEAD_LETTERS, "sendBatch");
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("seeding failed");
    // A schedule of one retry: the second attempt is the last.
    await runConsumer([task], { RETRY_SCHEDULE: "300" });
    expect(await deadLetterOf(task.deliveryId)).toBeNull();
    await makeDue(task.deliveryId);
    const woken = await wake(ep.id, { RETRY_SCHEDULE: "300" });
    expect(woken.explicitAcks).toEqual(["q0"]);
    expect(await deliveryRow(task.deliveryId)).toMatchObject({
      status: "dead",
      attempts: 2,
      next_attempt_at: null,
    });
    expect(await openRow(task.deliveryId)).toBeNull();
    const attempts = await attemptRows(task.deliveryId);
    expect(attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, "failed"],
      [2, "dead"],
    ]);
    expect(await deadLetterOf(task.deliveryId)).toMatchObject({
      reason: "exhausted",
      attempts: 2,
    });
    expect(dlq.mock.calls.flatMap(([m]) => [...m]).map((m) => m.body)).toEqual([
      { kind: "dead", deliveryId: task.deliveryId, reason: "exhausted" },
    ]);
  });

  it("records a timeout when the receiver does not answer within REQUEST_TIMEOUT_MS", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    vi.spyOn(globalThis, "fetch").mockImplementation(
      (_input, init) =>
        new Promise((_resolve, reject) => {
          init?.signal?.addEventListener("abort", () =>
            reject(new DOMException("aborted", "AbortError")),
          );
        }),
    );
    const [task] = await seedDeliveries(appId, [ep.id]);
    await runConsumer([task], { ...LONG, REQUEST_TIMEOUT_MS: "200" });
    const attempts = await attemptRows(task?.deliveryId ?? "");
    expect(attempts).toMatchObject([{ error: "timeout", status_code: null }]);
    expect(await deliveryRow(task?.deliveryId ?? "")).toMatchObject({
      status: "failed",
      last_error: "timeout",
    });
  });

  it("keeps at most 4 KiB of a 10 MB response without reading it all", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    let pulled = 0;
    receiver(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              if (pulled >= 10 * 1024 * 1024) return controller.close();
              pulled += 65536;
              controller.enqueue(new Uint8Array(65536).fill(97));
            },
          }),
        ),
    );
    const [task] = await seedDeliveries(appId, [ep.id]);
    await runConsumer([task]);
    const [attempt] = await attemptRows(task?.deliveryId ?? "");
    expect(attempt?.response_excerpt?.length).toBe(4096);
    expect(pulled).toBeLessThan(1024 * 1024);
    expect(await deliveryRow(task?.deliveryId ?? "")).toMatchObject({ status: "succeeded" });
  });

  it("a throwing message is retried alone; its batch-mates are acked and not re-sent", async () => {
    const { appId } = await newApp();
    const good = await newEndpoint(appId, { url: "https://good.example.com/" });
    const broken = await newEndpoint(appId, { url: "https://broken.example.com/" });
    // An undecryptable secret makes processing this delivery throw inside the consumer.
    await env.DB.prepare(
      "UPDATE auth_profile_secrets SET secret_enc = 'v1.deadbeef.AAAA.AAAA' WHERE profile_id = ?",
    )
      .bind(broken.authProfileId)
      .run();
    const seen = receiver(() => new Response("ok"));
    const tasks = await seedDeliveries(appId, [good.id, broken.id]);
    const more = await seedDeliveries(appId, [good.id]);
    const delays = retryDelays();
    const result = await runConsumer([...tasks, ...more]);

    // Handed back to the queue for 10 s: not the receiver's fault, so no attempt is used.
    expect(result.retryMessages).toEqual([{ msgId: "q1" }]);
    expect(delays()).toEqual(new Map([["q1", 10]]));
    expect(result.explicitAcks.sort()).toEqual(["q0", "q2"]);
    expect(seen.map((s) => s.url)).toEqual([
      "https://good.example.com/",
      "https://good.example.com/",
    ]);
    const brokenId = tasks[1]?.deliveryId ?? "";
    expect(await deliveryRow(brokenId)).toMatchObject({
      status: "pending",
      attempts: 0,
      total_attempts: 0,
      state: null,
    });
    expect(await logEntries(brokenId)).toEqual([]);
    expect(await openRow(brokenId)).toBeNull();
  });

  it("parks an open delivery whose processing throws again for 10 s, without using an attempt", async () => {
    const { appId } = await newApp();
    // FIFO: ingest leaves an open row per delivery, which a wake hands out.
    const ep = await newEndpoint(appId, { ordering: "fifo" });
    await env.DB.prepare(
      "UPDATE auth_profile_secrets SET secret_enc = 'v1.deadbeef.AAAA.AAAA' WHERE profile_id = ?",
    )
      .bind(ep.authProfileId)
      .run();
    const seen = receiver(() => new Response("ok"));
    const [task] = await seedDeliveries(appId, [ep.id], { n: 1 }, Date.now(), [ep.id]);
    if (!task) throw new Error("seeding failed");
    const before = Date.now();
    const woken = await wake(ep.id);
    const after = Date.now();

    expect(woken.explicitAcks).toEqual(["q0"]);
    expect(woken.retryMessages).toEqual([]);
    expect(seen).toHaveLength(0);
    const open = await openRow(task.deliveryId);
    expect(open).toMatchObject({
      state: "waiting",
      attempts: 0,
      total_attempts: 0,
      last_error: "consumer error",
    });
    expectDueIn(open, before, after, 10, 10);
    expect(await logEntries(task.deliveryId)).toEqual([]);
  });

  it("acks poison messages without sending anything", async () => {
    const seen = receiver(() => new Response("ok"));
    const result = await runConsumer([
      { hello: "world" },
      "not even an object",
      { deliveryId: "dlv_unknown", endpointId: "ep_x", messageId: "msg_x" },
    ]);
    expect(result.explicitAcks.sort()).toEqual(["q0", "q1", "q2"]);
    expect(result.retryMessages).toEqual([]);
    expect(seen).toHaveLength(0);
  });

  it("cancels deliveries whose endpoint was deleted, and does not send them", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const [task] = await seedDeliveries(appId, [ep.id]);
    await env.DB.prepare("DELETE FROM endpoints WHERE id = ?").bind(ep.id).run();
    const seen = receiver(() => new Response("ok"));
    const result = await runConsumer([task]);
    expect(result.explicitAcks).toEqual(["q0"]);
    expect(seen).toHaveLength(0);
    // Cancelled without a log entry of its own (nothing new is written for what was deleted).
    expect(await deliveryRow(task?.deliveryId ?? "")).toMatchObject({ status: "cancelled" });
    expect(await logEntries(task?.deliveryId ?? "")).toEqual([]);
    expect(await openRow(task?.deliveryId ?? "")).toBeNull();
  });

  it("sends a delivery once when one batch carries it twice", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const seen = receiver(() => new Response("ok"));
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("seeding failed");
    const result = await runConsumer([task, task]);
    expect(result.explicitAcks.sort()).toEqual(["q0", "q1"]);
    expect(seen).toHaveLength(1);
    expect(await logEntries(task.deliveryId)).toMatchObject([{ attempt: 1, status: "succeeded" }]);
  });

  it("sends a delivery handed out in two consecutive batches once, with one outcome", async () => {
    const { appId } = await newApp();
    const up = await newEndpoint(appId, { url: "https://up.example.com/" });
    const down = await newEndpoint(appId, { url: "https://down.example.com/" });
    const seen = receiver(
      (req) => new Response("x", { status: req.url.startsWith("https://up.") ? 200 : 500 }),
    );
    const tasks = await seedDeliveries(appId, [up.id, down.id]);
    const [toUp, toDown] = tasks;
    if (!toUp || !toDown) throw new Error("seeding failed");
    await runConsumer(tasks, LONG);
    const parked = await openRow(toDown.deliveryId);
    expect(parked).toMatchObject({ state: "waiting", attempts: 1 });

    // The queue delivers the same tasks again: both already have an outcome.
    const again = await runConsumer(tasks, LONG);
    expect(again.explicitAcks.sort()).toEqual(["q0", "q1"]);
    expect(again.retryMessages).toEqual([]);
    expect(seen).toHaveLength(2);
    expect(await logEntries(toUp.deliveryId)).toMatchObject([{ attempt: 1, status: "succeeded" }]);
    expect(await logEntries(toDown.deliveryId)).toMatchObject([{ attempt: 1, status: "failed" }]);
    // The retry keeps its time and its count: the duplicate did not reschedule it.
    expect(await openRow(toDown.deliveryId)).toEqual(parked);
  });

  it("refuses to send to a target the URL guard rejects", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "http://127.0.0.1:9/hook" });
    const seen = receiver(() => new Response("ok"));
    const [task] = await seedDeliveries(appId, [ep.id]);
    await runConsumer([task], { ALLOW_INSECURE_TARGETS: "false" });
    expect(seen).toHaveLength(0);
    const row = await deliveryRow(task?.deliveryId ?? "");
    expect(row?.status).toBe("dead");
    expect(row?.last_error).toMatch(/^target_refused/);
  });

  it("tells the operator through Hooklane itself when an endpoint is disabled", async () => {
    const operator = await newApp("operator");
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    receiver(() => new Response("gone", { status: 410 }));
    const [task] = await seedDeliveries(appId, [ep.id]);
    const operatorEnv = { ...LONG, OPERATOR_APP_ID: operator.appId };
    await runConsumer([task], operatorEnv);
    expect(await operatorEvents(ep.id)).toEqual([
      { type: "endpoint.disabled", detail: expect.stringContaining("410") },
    ]);
    // The sweeper sends each operator event on as a message in the operator's app, once.
    await sweep({ ...env, ...operatorEnv } as Env);
    await sweep({ ...env, ...operatorEnv } as Env);
    const notices = await operatorNotices(operator.appId);
    expect(notices.filter((n) => n.payload.endpointId === ep.id)).toEqual([
      expect.objectContaining({
        eventType: "endpoint.disabled",
        payload: expect.objectContaining({
          appId,
          endpointId: ep.id,
          reason: expect.stringContaining("410"),
        }),
      }),
    ]);
  });

  it("parks what the gate does not let through without using an attempt, and sends it later", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { rateLimit: 1 });
    const seen = receiver(() => new Response("ok"));
    const enqueued = vi.spyOn(env.DELIVERIES, "sendBatch");
    const notes = gateNotes();
    const tasks = [
      ...(await seedDeliveries(appId, [ep.id])),
      ...(await seedDeliveries(appId, [ep.id])),
      ...(await seedDeliveries(appId, [ep.id])),
    ];
    const before = Date.now();
    const result = await runConsumer(tasks, LONG);
    // One per second: the first goes now, the second is paced a second later, the third waits.
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.length).toBeLessThanOrEqual(2);
    expect(result.explicitAcks.sort()).toEqual(["q0", "q1", "q2"]);
    expect(result.retryMessages).toEqual([]);
    expect(enqueued).not.toHaveBeenCalled();
    const sentIds = new Set(seen.map((s) => s.headers["webhook-id"]));
    const deferred = tasks.filter((t) => !sentIds.has(t.messageId));
    expect(deferred).toHaveLength(3 - seen.length);
    const dues: number[] = [];
    for (const t of deferred) {
      const open = await openRow(t.deliveryId);
      expect(open).toMatchObject({
        state: "waiting",
        attempts: 0,
        total_attempts: 0,
        first_attempt_at: null,
      });
      expect(open?.due_at).toBeGreaterThanOrEqual(before + 1000);
      dues.push(open?.due_at ?? 0);
      expect(await deliveryRow(t.deliveryId)).toMatchObject({ status: "pending", attempts: 0 });
    }
    // The gate is told to wake the endpoint no later than the first of them is due.
    const parkedUntil = notes(ep.id)[0]?.parkedUntil;
    expect(parkedUntil).toBeGreaterThan(before);
    expect(parkedUntil).toBeLessThanOrEqual(Math.min(...dues));

    // Woken once due (and once the pacer has room), each goes out as its first attempt.
    for (let i = 0; i < 5 && seen.length < 3; i++) {
      for (const t of deferred) if (await openRow(t.deliveryId)) await makeDue(t.deliveryId);
      await wake(ep.id, LONG);
      if (seen.length < 3) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.headers["webhook-id"])).size).toBe(3);
    for (const t of tasks) {
      expect(await attemptRows(t.deliveryId)).toMatchObject([{ attempt: 1, status: "succeeded" }]);
      expect(await openRow(t.deliveryId)).toBeNull();
    }
  });

  it("walks a FIFO backlog without reading D1 between sends: a read fault mid-walk resends nothing", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { ordering: "fifo" });
    const tasks = [];
    for (let n = 0; n < 3; n++)
      tasks.push(...(await seedDeliveries(appId, [ep.id], { n }, Date.now(), [ep.id])));
    // From the first request on, every D1 read fails (open deliveries included).
    const prepare = env.DB.prepare.bind(env.DB);
    let armed = false;
    const failedReads: string[] = [];
    vi.spyOn(env.DB, "prepare").mockImplementation((sql: string) => {
      if (armed && /^\s*SELECT\b/i.test(sql)) {
        failedReads.push(sql);
        throw new Error("injected: D1 unavailable");
      }
      return prepare(sql);
    });
    const seen = receiver(() => {
      armed = true;
      return new Response("ok");
    });
    const woken = await wake(ep.id, LONG);

    expect(failedReads).toEqual([]);
    // The fault was live: any read now fails.
    expect(() => env.DB.prepare("SELECT * FROM open_deliveries")).toThrow("injected");
    armed = false;
    expect(woken.explicitAcks).toEqual(["q0"]);
    expect(woken.retryMessages).toEqual([]);
    expect(seen.map((s) => JSON.parse(s.body).data.n)).toEqual([0, 1, 2]);
    for (const t of tasks) {
      expect(await attemptRows(t.deliveryId)).toMatchObject([{ attempt: 1, status: "succeeded" }]);
      expect(await openRow(t.deliveryId)).toBeNull();
    }
    // Nothing is left to send: another wake sends nothing again.
    await wake(ep.id, LONG);
    expect(seen).toHaveLength(3);
  });

  it("treats a private DNS answer at send time as a failed attempt retried on the schedule", async () => {
    const { appId } = await newApp();
    // A name of its own: send-time verdicts are remembered per host for a minute.
    const host = `moved-${crypto.randomUUID().slice(0, 8)}.example.com`;
    const ep = await newEndpoint(appId, { url: `https://${host}/hook` });
    let addresses = ["10.1.2.3"];
    const posts: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      const url = new URL(
        typeof input === "string" ? input : input instanceof URL ? input : input.url,
      );
      if (url.hostname !== "cloudflare-dns.com") {
        posts.push(url.href);
        return new Response("ok");
      }
      const type = Number(url.searchParams.get("type"));
      const Answer = addresses
        .filter((a) => (type === 1) === !a.includes(":"))
        .map((data) => ({ name: `${host}.`, type, TTL: 60, data }));
      return Response.json({ Status: 0, Answer });
    });
    const notes = gateNotes();
    const vars = { ...LONG, ALLOW_INSECURE_TARGETS: "false", DNS_CHECK: "true" };
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("seeding failed");
    const before = Date.now();
    const result = await runConsumer([task], vars);
    const after = Date.now();

    expect(result.explicitAcks).toEqual(["q0"]);
    expect(posts).toEqual([]);
    const refusal = `target_refused: The target host ${host} resolves to 10.1.2.3, which is not public.`;
    expect(await attemptRows(task.deliveryId)).toEqual([
      { attempt: 1, status: "failed", status_code: null, error: refusal, response_excerpt: null },
    ]);
    const open = await openRow(task.deliveryId);
    expect(open).toMatchObject({
      state: "waiting",
      attempts: 1,
      total_attempts: 1,
      last_error: refusal,
    });
    expectDueIn(open, before, after, 240, 360);
    expect(notes(ep.id)).toEqual([expect.objectContaining({ parkedUntil: open?.due_at })]);
    expect(await deadLetterOf(task.deliveryId)).toBeNull();
    expect(await deliveryRow(task.deliveryId)).toMatchObject({ status: "failed", attempts: 1 });

    // The name is public again; once the remembered verdict is stale, the retry goes out.
    addresses = ["93.184.216.34"];
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 61_000);
    await makeDue(task.deliveryId);
    await wake(ep.id, vars);
    expect(posts).toEqual([`https://${host}/hook`]);
    expect(await attemptRows(task.deliveryId)).toMatchObject([
      { attempt: 1, status: "failed" },
      { attempt: 2, status: "succeeded", status_code: 200 },
    ]);
    expect(await deliveryRow(task.deliveryId)).toMatchObject({ status: "succeeded" });
  });
});
