import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { HooklaneIngest } from "../../src/native/entrypoint";
import type { IngestRejection } from "../../src/native/queue";
import { ADMIN, call, newApp } from "../helpers";

const BIG =
  '{"eventType":"order.paid","payload":{"amount":12345678901234567890123,"rate":0.10000000000000000000001}}';

afterEach(() => {
  vi.restoreAllMocks();
});

/** The binding another Worker would call, with this test's env and context. */
function binding() {
  return new HooklaneIngest(createExecutionContext(), env);
}

/** A message as the API answers it, as text (JSON.parse would round its numbers). */
async function messageText(appId: string, id: string | undefined): Promise<string> {
  const res = await worker.fetch(
    new Request(`https://hooklane.test/v1/apps/${appId}/messages/${id}`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    }),
    env,
    createExecutionContext(),
  );
  expect(res.status).toBe(200);
  return res.text();
}

async function messagesOf(appId: string): Promise<{ id: string; eventType: string }[]> {
  const res = await call<{ data: { id: string; eventType: string }[] }>(
    "GET",
    `/v1/apps/${appId}/messages`,
  );
  expect(res.status).toBe(200);
  return res.body.data;
}

/** Runs the ingest queue's consumer on queue messages, as the runtime would hand them over. */
async function consume(messages: { id: string; body: unknown; attempts?: number }[]) {
  const batch = createMessageBatch(
    "hooklane-ingest",
    messages.map((m) => ({
      id: m.id,
      timestamp: new Date(),
      attempts: m.attempts ?? 1,
      body: m.body,
    })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  await waitOnExecutionContext(ctx);
  return getQueueResult(batch, ctx);
}

describe("the service binding (HooklaneIngest.send)", () => {
  it("accepts as the HTTP route does: 202 with the message, once per idempotency key", async () => {
    const { appId } = await newApp();
    const input = { eventType: "order.created", payload: { n: 1 } };
    const first = await binding().send(appId, input, { idempotencyKey: "order-1" });
    expect(first).toMatchObject({ ok: true, status: 202, replayed: false });
    const again = await binding().send(appId, input, { idempotencyKey: "order-1" });
    expect(again).toMatchObject({ ok: true, status: 202, replayed: true });
    if (!first.ok || !again.ok) throw new Error("refused");
    expect(again.message.id).toBe(first.message.id);
    expect((await messagesOf(appId)).map((m) => m.id)).toEqual([first.message.id]);
  });

  it("keeps the payload's exact bytes when given JSON text", async () => {
    const { appId } = await newApp();
    const sent = await binding().send(appId, BIG);
    if (!sent.ok) throw new Error(JSON.stringify(sent.problem));
    const text = await messageText(appId, sent.message.id);
    expect(text).toContain('"amount":12345678901234567890123');
    expect(text).toContain('"rate":0.10000000000000000000001');
  });

  it("answers the route's problems: 422 naming the field, 404 for an unknown app", async () => {
    const { appId } = await newApp();
    const invalid = await binding().send(appId, { eventType: "", payload: { n: 1 } });
    expect(invalid).toMatchObject({ ok: false, status: 422 });
    if (invalid.ok) throw new Error("accepted");
    expect(invalid.problem.errors?.map((e) => e.field)).toContain("eventType");
    const unknown = await binding().send("app_01J00000000000000000000000", {
      eventType: "x.y",
      payload: {},
    });
    expect(unknown).toMatchObject({ ok: false, status: 404 });
    expect(await messagesOf(appId)).toEqual([]);
  });
});

describe("the ingest queue (hooklane-ingest)", () => {
  it("accepts a redelivered queue message once", async () => {
    const { appId } = await newApp();
    const body = { appId, message: { eventType: "order.created", payload: { n: 2 } } };
    const first = await consume([{ id: "qm-1", body }]);
    expect(first.explicitAcks).toEqual(["qm-1"]);
    // The queue hands the same message over again (its consumer died before the ack landed).
    const again = await consume([{ id: "qm-1", body, attempts: 2 }]);
    expect(again.explicitAcks).toEqual(["qm-1"]);
    expect(await messagesOf(appId)).toHaveLength(1);
  });

  it("uses the producer's idempotency key across separate publishes", async () => {
    const { appId } = await newApp();
    const body = {
      appId,
      message: BIG,
      idempotencyKey: "invoice-7",
    };
    await consume([{ id: "qm-a", body }]);
    await consume([{ id: "qm-b", body }]);
    const list = await messagesOf(appId);
    expect(list).toHaveLength(1);
    expect(await messageText(appId, list[0]?.id)).toContain('"amount":12345678901234567890123');
  });

  it("sends a refused message to the dead-letter queue with its reason, and acks it", async () => {
    const { appId } = await newApp();
    const dead = vi.spyOn(env.INGEST_DEAD_LETTERS, "send");
    const result = await consume([
      { id: "qm-bad", body: { appId, message: { eventType: "order.created", payload: [] } } },
      { id: "qm-shape", body: { message: "no app" } },
    ]);
    expect(result.explicitAcks.sort()).toEqual(["qm-bad", "qm-shape"]);
    const rejections = dead.mock.calls.map((c) => c[0] as IngestRejection);
    const bad = rejections.find((r) => r.queueMessageId === "qm-bad");
    expect(bad).toMatchObject({ status: 422 });
    expect(bad?.reason).toMatch(/payload/);
    const shape = rejections.find((r) => r.queueMessageId === "qm-shape");
    expect(shape).toMatchObject({ status: 400 });
    expect(shape?.reason).toMatch(/appId/);
    expect(await messagesOf(appId)).toEqual([]);
  });
});
