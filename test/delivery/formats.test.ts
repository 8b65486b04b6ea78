import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { acceptStatements, fanOutColumn, type StoredMessage } from "../../src/db/messages";
import { buildRequest } from "../../src/delivery/request";
import { newId, timeOfId } from "../../src/lib/ids";
import type { DeliveryTask } from "../../src/schemas/queue";
import { call, newApp, newEndpoint } from "../helpers";
import { receiver, runConsumer, type Seen } from "./fixtures";

/** A payload a JSON parse would change: a big integer, a long decimal, odd spacing. */
const PAYLOAD = '{"id": 12345678901234567890123, "amount":1.10, "note":"ünï"}';

/** Stores a message with this exact payload text (as ingest does) and returns its first try. */
async function seedRaw(appId: string, endpointId: string, payload = PAYLOAD) {
  const messageId = newId("msg");
  const msg: StoredMessage = {
    id: messageId,
    app_id: appId,
    event_type: "invoice.paid",
    payload,
    event_id: null,
    idempotency_key: null,
    endpoints: fanOutColumn([endpointId]),
  };
  await env.DB.batch(acceptStatements(env.DB, msg, [], Date.now()));
  const task: DeliveryTask = {
    kind: "delivery",
    appId,
    messageId,
    endpointId,
    eventType: msg.event_type,
    createdAt: timeOfId(messageId),
    payload,
  };
  return task;
}

/** Sends one message to a new endpoint of this format; returns what the receiver got. */
async function deliver(format: string | undefined, app?: { ceSource?: string }) {
  const { appId } = await newApp();
  if (app?.ceSource) {
    const set = await call("PATCH", `/v1/apps/${appId}`, { body: { ceSource: app.ceSource } });
    expect(set.status).toBe(200);
  }
  const ep = await newEndpoint(appId, {
    headers: { "x-tenant": "t1" },
    ...(format ? { format } : {}),
  });
  const seen = receiver(() => new Response("ok"));
  const task = await seedRaw(appId, ep.id);
  await runConsumer([task]);
  const [got] = seen;
  if (!got) throw new Error("no request was sent");
  return { appId, ep, task, got };
}

/** The request rebuilt on read for the delivery's first attempt. */
async function rebuilt(appId: string, messageId: string) {
  const list = await call<{ data: { id: string }[] }>(
    "GET",
    `/v1/apps/${appId}/messages/${messageId}/attempts`,
  );
  const attemptId = list.body.data[0]?.id;
  if (!attemptId) throw new Error("no attempt logged");
  const res = await call<{
    headers: { name: string; value: string }[];
    body: string;
    notes: string[];
  }>("GET", `/v1/apps/${appId}/messages/${messageId}/attempts/${attemptId}/request`);
  expect(res.status).toBe(200);
  return {
    body: res.body.body,
    headers: Object.fromEntries(res.body.headers.map((h) => [h.name, h.value])),
    notes: res.body.notes,
  };
}

/** The signature verifies over the exact body received (not a re-serialisation of it). */
function expectSigned(secret: string, got: Seen) {
  expect(() =>
    new Webhook(secret).verify(got.body, {
      "webhook-id": got.headers["webhook-id"] ?? "",
      "webhook-timestamp": got.headers["webhook-timestamp"] ?? "",
      "webhook-signature": got.headers["webhook-signature"] ?? "",
    }),
  ).not.toThrow();
  // One byte more and it no longer does.
  expect(() => new Webhook(secret).verify(`${got.body} `, got.headers)).toThrow();
}

beforeEach(() => {
  vi.spyOn(env.DELIVERIES, "send").mockResolvedValue({
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("delivery formats, as the receiver gets them", () => {
  it("standard-webhooks (the default): the envelope and headers of before, byte for byte", async () => {
    const { appId, ep, task, got } = await deliver(undefined);
    const time = new Date(task.createdAt).toISOString();
    expect(got.body).toBe(`{"type":"invoice.paid","timestamp":"${time}","data":${PAYLOAD}}`);
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["x-tenant"]).toBe("t1");
    expect(got.headers["webhook-id"]).toBe(task.messageId);
    expect(Object.keys(got.headers).filter((h) => h.startsWith("ce-"))).toEqual([]);
    expectSigned(ep.secret, got);
    const again = await rebuilt(appId, task.messageId);
    expect(again.body).toBe(got.body);
    expect(again.headers).toEqual(got.headers);
  });

  it("cloudevents: structured mode, the payload text kept exact inside data", async () => {
    const { appId, ep, task, got } = await deliver("cloudevents");
    const time = new Date(task.createdAt).toISOString();
    expect(got.body).toBe(
      `{"specversion":"1.0","id":"${task.messageId}","type":"invoice.paid","source":"/hooklane/${appId}","time":"${time}","datacontenttype":"application/json","data":${PAYLOAD}}`,
    );
    expect(got.body).toContain("12345678901234567890123");
    expect(got.headers["content-type"]).toBe("application/cloudevents+json");
    expect(got.headers["x-tenant"]).toBe("t1");
    expect(got.headers["webhook-id"]).toBe(task.messageId);
    expect(Object.keys(got.headers).filter((h) => h.startsWith("ce-"))).toEqual([]);
    expectSigned(ep.secret, got);
    const again = await rebuilt(appId, task.messageId);
    expect(again.body).toBe(got.body);
    expect(again.headers).toEqual(got.headers);
  });

  it("cloudevents: the app's ceSource is the source", async () => {
    const { appId, task, got } = await deliver("cloudevents", {
      ceSource: "https://example.com/billing",
    });
    expect(got.body).toContain('"source":"https://example.com/billing"');
    expect((await rebuilt(appId, task.messageId)).body).toBe(got.body);
  });

  it("cloudevents-binary: the payload as the body, the attributes in ce-* headers", async () => {
    const { appId, ep, task, got } = await deliver("cloudevents-binary", { ceSource: "/billing" });
    expect(got.body).toBe(PAYLOAD);
    expect(got.headers).toMatchObject({
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-id": task.messageId,
      "ce-type": "invoice.paid",
      "ce-source": "/billing",
      "ce-time": new Date(task.createdAt).toISOString(),
      "x-tenant": "t1",
      "webhook-id": task.messageId,
    });
    expectSigned(ep.secret, got);
    const again = await rebuilt(appId, task.messageId);
    expect(again.body).toBe(PAYLOAD);
    expect(again.headers).toEqual(got.headers);
    expect(again.notes).toEqual([]);
  });

  it("a format changed after the attempt is named in the rebuilt request's notes", async () => {
    const { appId, ep, task, got } = await deliver("cloudevents-binary");
    // updated_at must be later than the attempt's start, to the millisecond.
    await new Promise((r) => setTimeout(r, 5));
    const patched = await call("PATCH", `/v1/apps/${appId}/endpoints/${ep.id}`, {
      body: { format: "standard-webhooks" },
    });
    expect(patched.status).toBe(200);
    const again = await rebuilt(appId, task.messageId);
    expect(again.body).not.toBe(got.body);
    expect(again.notes.join(" ")).toMatch(/format/);
  });
});

describe("delivery formats off the first-try path", () => {
  it("a retry sent by a wake carries the same CloudEvent, the big integer exact", async () => {
    const { appId } = await newApp();
    const set = await call("PATCH", `/v1/apps/${appId}`, { body: { ceSource: "urn:billing" } });
    expect(set.status).toBe(200);
    const ep = await newEndpoint(appId, { format: "cloudevents" });
    const seen = receiver((_req, n) => new Response("", { status: n === 1 ? 500 : 200 }));
    const task = await seedRaw(appId, ep.id);
    await runConsumer([task]);
    await env.DB.prepare("UPDATE open_deliveries SET due_at = ? WHERE message_id = ?")
      .bind(Date.now() - 1000, task.messageId)
      .run();
    await runConsumer([{ kind: "wake", endpointId: ep.id, appId }]);
    const [first, retry] = seen;
    if (!first || !retry) throw new Error(`expected 2 requests, got ${seen.length}`);
    expect(retry.body).toBe(first.body);
    expect(retry.body).toContain('"source":"urn:billing"');
    expect(retry.body).toContain(`"data":${PAYLOAD}}`);
    expect(retry.headers["content-type"]).toBe("application/cloudevents+json");
    expectSigned(ep.secret, retry);
  });
});

describe("the rebuilt request's notes", () => {
  it("name an app whose ceSource changed after the attempt", async () => {
    const { appId, task, got } = await deliver("cloudevents-binary", { ceSource: "/before" });
    await new Promise((r) => setTimeout(r, 5));
    const set = await call("PATCH", `/v1/apps/${appId}`, { body: { ceSource: "/after" } });
    expect(set.status).toBe(200);
    const again = await rebuilt(appId, task.messageId);
    expect(got.headers["ce-source"]).toBe("/before");
    expect(again.headers["ce-source"]).toBe("/after");
    expect(again.notes.join(" ")).toMatch(/CloudEvents source is shown as it is now/);
  });

  it("say a deleted endpoint's format is unknown", async () => {
    const { appId, ep, task } = await deliver("cloudevents");
    const gone = await call("DELETE", `/v1/apps/${appId}/endpoints/${ep.id}`);
    expect(gone.status).toBe(204);
    const again = await rebuilt(appId, task.messageId);
    expect(again.body).toContain(`"data":${PAYLOAD}}`);
    expect(again.notes.join(" ")).toMatch(/format is unknown/);
  });
});

describe("buildRequest", () => {
  const msg = {
    id: "msg_01JDX0000000000000000000AA",
    event_type: "a.b",
    created_at: Date.UTC(2026, 10, 27, 22, 0, 0, 5),
    payload: "[1e400, 12345678901234567890123]",
  };

  it("never parses the payload: text a JSON parse would change goes out as is", () => {
    for (const format of ["standard-webhooks", "cloudevents", "cloudevents-binary"] as const) {
      const { body } = buildRequest(format, msg, "/s");
      expect(body).toContain("[1e400, 12345678901234567890123]");
    }
  });

  it("escapes the source and type as JSON strings in structured mode", () => {
    const { body } = buildRequest("cloudevents", msg, "urn:x?a='b'&c=[d]");
    expect(JSON.parse(body.replace(msg.payload, "null"))).toEqual({
      specversion: "1.0",
      id: msg.id,
      type: "a.b",
      source: "urn:x?a='b'&c=[d]",
      time: "2026-11-27T22:00:00.005Z",
      datacontenttype: "application/json",
      data: null,
    });
  });
});
