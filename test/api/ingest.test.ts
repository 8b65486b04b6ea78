import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { deliveryId } from "../../src/lib/ids";
import { rawMember } from "../../src/lib/raw-json";
import { INLINE_PAYLOAD_MAX } from "../../src/schemas/queue";
import { receiver, runConsumer } from "../delivery/fixtures";
import { call, ingestCounts, newApp, newEndpoint } from "../helpers";
import {
  countFor,
  deliveriesOf,
  expectProblem,
  type MessageBody,
  type QueuedTask,
  spyOnDeliveries,
  streamOf,
} from "./support";

const CAP = 256 * 1024;
const messagesOf = (appId: string) => `/v1/apps/${appId}/messages`;

/** A message body of exactly `bytes` bytes (UTF-8). */
function bodyOfSize(bytes: number): string {
  const shell = JSON.stringify({ eventType: "big.one", payload: { pad: "" } });
  return shell.replace('"pad":""', `"pad":"${"x".repeat(bytes - shell.length)}"`);
}

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("accepting a message", () => {
  it("answers 202 with the message id, type, time and one pending delivery per endpoint", async () => {
    // Kept off the queue: no consumer may move the deliveries on before GET looks at them.
    spyOnDeliveries({ stub: true });
    const { appId, key } = await newApp();
    const one = await newEndpoint(appId);
    const two = await newEndpoint(appId, { url: "https://two.example.com/hook" });
    const res = await call<MessageBody>("POST", messagesOf(appId), {
      token: key,
      body: { eventType: "invoice.paid", payload: { amount: 1200, currency: "EUR" } },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get("idempotent-replayed")).toBeNull();
    const pending = [one.id, two.id].sort().map((endpointId) => ({
      id: deliveryId(res.body.id, endpointId),
      endpointId,
      status: "pending",
      attempts: 0,
    }));
    expect(res.body).toEqual({
      id: expect.stringMatching(/^msg_[0-9A-Z]{26}$/),
      eventType: "invoice.paid",
      createdAt: expect.any(String),
      deliveries: expect.arrayContaining(pending),
    });
    expect(res.body.deliveries).toHaveLength(2);
    // Durable before the answer: GET shows the message and its deliveries as soon as the 202 is.
    const got = await call<MessageBody>("GET", `${messagesOf(appId)}/${res.body.id}`, {
      token: key,
    });
    expect(got.status).toBe(200);
    expect(got.body.payload).toEqual({ amount: 1200, currency: "EUR" });
    expect(got.body.createdAt).toBe(res.body.createdAt);
    expect(await deliveriesOf(appId, res.body.id)).toEqual(pending);
  });

  it("accepts a message no endpoint wants, writing no delivery and enqueueing nothing", async () => {
    const { sent } = spyOnDeliveries();
    const { appId, key } = await newApp();
    await newEndpoint(appId, { eventTypes: ["other.thing"] });
    const res = await call<MessageBody>("POST", messagesOf(appId), {
      token: key,
      body: { eventType: "invoice.paid", payload: {} },
    });
    expect(res.status).toBe(202);
    expect(res.body.deliveries).toEqual([]);
    expect(await countFor("messages", appId)).toBe(1);
    expect(await countFor("open_deliveries", appId)).toBe(0);
    expect(await deliveriesOf(appId, res.body.id)).toEqual([]);
    expect(sent()).toEqual([]);
  });

  it("still answers 202 and keeps the deliveries pending when the queue refuses the send", async () => {
    const { spy } = spyOnDeliveries();
    spy.mockRejectedValue(new Error("queue unavailable"));
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { appId, key } = await newApp();
    const ep = await newEndpoint(appId);
    const res = await call<MessageBody>("POST", messagesOf(appId), {
      token: key,
      body: { eventType: "invoice.paid", payload: {} },
    });
    expect(res.status).toBe(202);
    expect(spy).toHaveBeenCalled();
    // The message is durable and names its delivery; the sweeper hands it out later.
    expect(await deliveriesOf(appId, res.body.id)).toEqual([
      { id: deliveryId(res.body.id, ep.id), endpointId: ep.id, status: "pending", attempts: 0 },
    ]);
  });

  it("accepts an event type name of exactly 128 characters", async () => {
    const { appId, key } = await newApp();
    const name = `a.${"b".repeat(126)}`;
    const res = await call("POST", messagesOf(appId), {
      token: key,
      body: { eventType: name, payload: {} },
    });
    expect(res.status).toBe(202);
  });

  it("accepts JSON nested exactly 32 deep", async () => {
    const { appId, key } = await newApp();
    // The envelope and payload objects are two levels; 30 arrays make 32.
    const res = await call("POST", messagesOf(appId), {
      token: key,
      raw: `{"eventType":"deep","payload":{"x":${nested(30)}}}`,
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(202);
  });

  it.each(["application/json; charset=utf-8", "application/cloudevents+json"])(
    "accepts content-type %s",
    async (contentType) => {
      const { appId, key } = await newApp();
      const res = await call("POST", messagesOf(appId), {
        token: key,
        raw: JSON.stringify({ eventType: "a.b", payload: {} }),
        headers: { "content-type": contentType },
      });
      expect(res.status).toBe(202);
    },
  );

  it("answers 404 for an app that does not exist", async () => {
    const before = await ingestCounts();
    const res = await call("POST", messagesOf("app_00000000000000000000000000"), {
      body: { eventType: "a.b", payload: {} },
    });
    expectProblem(res, 404);
    expect(await ingestCounts()).toEqual(before);
  });
});

describe("the payload as the sender wrote it", () => {
  // Numbers JSON.parse would change (a 23-digit integer, 1e999, a 38-digit decimal, -0.0, 1E+2)
  // and whitespace a serializer would drop: all of it must reach the receiver unchanged.
  const odd =
    '{ "big" : 12345678901234567890123,\t"huge":1e999 ,\n  "dec": 0.10000000000000000000000000000000000001,' +
    ' "neg": -0.0, "exp": 1E+2,\r\n "nested" : { "list" : [ 1 , 2.50 ,3e-7 ] } ,' +
    ' "text": "caf\\u00e9 \\"quoted\\"" }';

  it.each([
    { why: "small enough to ride in the queue task", payload: odd, inline: true },
    {
      why: "too large for the task, read back from D1",
      payload: odd.replace(/ }$/, `, "pad": "${"p".repeat(INLINE_PAYLOAD_MAX)}" }`),
      inline: false,
    },
  ])("is stored and delivered byte for byte when $why", async ({ payload, inline }) => {
    const { sent } = spyOnDeliveries({ stub: true });
    const { appId, key } = await newApp();
    const ep = await newEndpoint(appId);
    const res = await call<MessageBody>("POST", messagesOf(appId), {
      token: key,
      raw: `{ "eventType" : "numbers.odd" ,\n  "payload" :  ${payload}  }`,
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(202);
    const stored = await env.DB.prepare("SELECT payload FROM messages WHERE app_id = ? AND id = ?")
      .bind(appId, res.body.id)
      .first<{ payload: string }>();
    expect(stored?.payload).toBe(payload);
    const tasks = sent(res.body.id) as QueuedTask[];
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.payload).toBe(inline ? payload : undefined);

    const seen = receiver(() => new Response("ok"));
    await runConsumer(tasks);
    expect(seen.map((r) => r.url)).toEqual(["https://receiver.example.com/hook"]);
    const body = seen[0]?.body ?? "";
    expect(rawMember(body, "data")).toBe(payload);
    expect(rawMember(body, "type")).toBe('"numbers.odd"');
    expect(await deliveriesOf(appId, res.body.id)).toEqual([
      { id: deliveryId(res.body.id, ep.id), endpointId: ep.id, status: "succeeded", attempts: 1 },
    ]);
  });
});

describe("refusing bad input, writing nothing", () => {
  const json = { "content-type": "application/json" };
  it.each([
    {
      why: "an array payload",
      raw: '{"eventType":"a.b","payload":[1,2]}',
      status: 422,
      field: "payload",
    },
    {
      why: "a string payload",
      raw: '{"eventType":"a.b","payload":"hello"}',
      status: 422,
      field: "payload",
    },
    {
      why: "a null payload",
      raw: '{"eventType":"a.b","payload":null}',
      status: 422,
      field: "payload",
    },
    {
      why: "a number payload",
      raw: '{"eventType":"a.b","payload":42}',
      status: 422,
      field: "payload",
    },
    { why: "no payload", raw: '{"eventType":"a.b"}', status: 422, field: "payload" },
    { why: "no event type", raw: '{"payload":{}}', status: 422, field: "eventType" },
    { why: "an array body", raw: '[{"eventType":"a.b","payload":{}}]', status: 422 },
    { why: "a string body", raw: '"a.b"', status: 422 },
    { why: "a null body", raw: "null", status: 422 },
    { why: "an unknown field", raw: '{"eventType":"a.b","payload":{},"extra":1}', status: 422 },
    {
      why: "an eventId with spaces",
      raw: '{"eventType":"a.b","payload":{},"eventId":"a b"}',
      status: 422,
      field: "eventId",
    },
    {
      why: "an eventId over 256 chars",
      raw: `{"eventType":"a.b","payload":{},"eventId":"${"e".repeat(257)}"}`,
      status: 422,
      field: "eventId",
    },
    { why: "invalid JSON", raw: '{"eventType":"a.b","payload":{', status: 422 },
    { why: "JSON with a trailing comma", raw: '{"eventType":"a.b","payload":{},}', status: 422 },
    {
      why: "JSON nested 33 deep",
      raw: `{"eventType":"a.b","payload":{"x":${nested(31)}}}`,
      status: 422,
    },
  ])("answers $status for $why", async ({ raw, status, field }) => {
    const { appId, key } = await newApp();
    await newEndpoint(appId);
    const before = await ingestCounts();
    const res = await call("POST", messagesOf(appId), { token: key, raw, headers: json });
    expectProblem(res, status, field);
    expect(await ingestCounts()).toEqual(before);
  });

  it.each([
    { why: "empty", eventType: "" },
    { why: "over 128 chars", eventType: "x".repeat(129) },
    { why: "with a space", eventType: "invoice paid" },
    { why: "with a slash", eventType: "invoice/paid" },
    { why: "non-ASCII", eventType: "facture.payée" },
    { why: "with an empty segment", eventType: "invoice..paid" },
    { why: "ending in a dot", eventType: "invoice." },
    { why: "a wildcard", eventType: "invoice.*" },
    { why: "not a string", eventType: 7 },
  ])("answers 422 naming eventType for an event type name $why", async ({ eventType }) => {
    const { appId, key } = await newApp();
    await newEndpoint(appId);
    const before = await ingestCounts();
    const res = await call("POST", messagesOf(appId), {
      token: key,
      body: { eventType, payload: {} },
    });
    expectProblem(res, 422, "eventType");
    expect(await ingestCounts()).toEqual(before);
  });

  it("answers 422 for a body that is not UTF-8", async () => {
    const { appId, key } = await newApp();
    const before = await ingestCounts();
    const bytes = new TextEncoder().encode('{"eventType":"a.b","payload":{"x":"__"}}');
    bytes.set([0xff, 0xfe], bytes.indexOf(0x5f));
    const res = await call("POST", messagesOf(appId), {
      token: key,
      raw: bytes,
      headers: { "content-type": "application/json" },
    });
    expectProblem(res, 422);
    expect(await ingestCounts()).toEqual(before);
  });

  const ingestJson = JSON.stringify({ eventType: "a.b", payload: {} });
  const text = () => ingestJson;
  const none: Record<string, string> = {};
  it.each([
    { why: "text/plain", headers: { "content-type": "text/plain" }, raw: text, sent: "text/plain" },
    {
      why: "a form",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      raw: text,
      sent: "application/x-www-form-urlencoded",
    },
    // A string body without the header is labelled text/plain by the Request itself...
    {
      why: "a string without a header",
      headers: none,
      raw: text,
      sent: "text/plain;charset=UTF-8",
    },
    // ...bytes and streams are not: these requests carry no content-type at all.
    {
      why: "bytes without a header",
      headers: none,
      raw: () => new TextEncoder().encode(ingestJson),
      sent: null,
    },
    {
      why: "a stream without a header",
      headers: none,
      raw: () => streamOf(ingestJson),
      sent: null,
    },
  ])("answers 415 for $why (content-type: $sent)", async ({ headers, raw, sent }) => {
    // The content-type that goes out, from a request built the way call() builds it.
    const req = new Request("https://hooklane.test/", { method: "POST", headers, body: raw() });
    expect(req.headers.get("content-type")).toBe(sent);
    const { appId, key } = await newApp();
    const before = await ingestCounts();
    const res = await call("POST", messagesOf(appId), { token: key, raw: raw(), headers });
    const problem = expectProblem(res, 415);
    expect(problem.detail).toBe("The request body must be application/json.");
    expect(await ingestCounts()).toEqual(before);
  });

  it.each([
    { why: "with a space", value: "two words" },
    { why: "over 256 chars", value: "k".repeat(257) },
  ])("answers 400 naming the header for an Idempotency-Key $why", async ({ value }) => {
    const { appId, key } = await newApp();
    const before = await ingestCounts();
    const res = await call("POST", messagesOf(appId), {
      token: key,
      body: { eventType: "a.b", payload: {} },
      headers: { "idempotency-key": value },
    });
    expectProblem(res, 400, "idempotency-key");
    expect(await ingestCounts()).toEqual(before);
  });
});

describe("the 256 KiB cap", () => {
  it("accepts a body of exactly 256 KiB", async () => {
    const { appId, key } = await newApp();
    const raw = bodyOfSize(CAP);
    expect(new TextEncoder().encode(raw).byteLength).toBe(CAP);
    const res = await call("POST", messagesOf(appId), {
      token: key,
      raw,
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(202);
  });

  it("answers 413 for one byte more, declared honestly", async () => {
    const { appId, key } = await newApp();
    const before = await ingestCounts();
    const raw = bodyOfSize(CAP + 1);
    const res = await call("POST", messagesOf(appId), {
      token: key,
      raw,
      headers: { "content-type": "application/json", "content-length": String(CAP + 1) },
    });
    expectProblem(res, 413);
    expect(await ingestCounts()).toEqual(before);
  });

  it("answers 413 when content-length claims a small body but a big one arrives", async () => {
    const { appId, key } = await newApp();
    const before = await ingestCounts();
    const res = await call("POST", messagesOf(appId), {
      token: key,
      raw: bodyOfSize(CAP + 64 * 1024),
      headers: { "content-type": "application/json", "content-length": "64" },
    });
    expectProblem(res, 413);
    expect(await ingestCounts()).toEqual(before);
  });

  it("answers 413 for a streamed body whose content-length lies", async () => {
    const { appId, key } = await newApp();
    const before = await ingestCounts();
    const res = await call("POST", messagesOf(appId), {
      token: key,
      raw: streamOf(bodyOfSize(CAP + 64 * 1024)),
      headers: { "content-type": "application/json", "content-length": "64" },
    });
    expectProblem(res, 413);
    expect(await ingestCounts()).toEqual(before);
  });

  it("answers 413 for a streamed body with no content-length", async () => {
    const { appId, key } = await newApp();
    const before = await ingestCounts();
    const stream = streamOf(bodyOfSize(2 * CAP));
    const res = await call("POST", messagesOf(appId), {
      token: key,
      raw: stream,
      headers: { "content-type": "application/json" },
    });
    expectProblem(res, 413);
    expect(await ingestCounts()).toEqual(before);
  });

  it("accepts a streamed body under the cap with no content-length", async () => {
    const { appId, key } = await newApp();
    const res = await call<MessageBody>("POST", messagesOf(appId), {
      token: key,
      raw: streamOf(bodyOfSize(CAP - 1024), 1000),
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(202);
    expect(await countFor("messages", appId)).toBe(1);
  });
});

describe("idempotency", () => {
  it("answers the same Idempotency-Key with the first message, marked as a replay", async () => {
    const { appId, key } = await newApp();
    await newEndpoint(appId);
    const send = (payload: Record<string, unknown>) =>
      call<MessageBody>("POST", messagesOf(appId), {
        token: key,
        body: { eventType: "invoice.paid", payload },
        headers: { "idempotency-key": "order-1001" },
      });
    const first = await send({ n: 1 });
    const second = await send({ n: 2 });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.deliveries.map((d) => d.id)).toEqual(first.body.deliveries.map((d) => d.id));
    expect(await countFor("messages", appId)).toBe(1);
    expect((await deliveriesOf(appId, first.body.id)).map((d) => d.id)).toEqual(
      first.body.deliveries.map((d) => d.id),
    );
    expect(await countFor("idempotency_keys", appId)).toBe(1);
    const got = await call<MessageBody>("GET", `${messagesOf(appId)}/${first.body.id}`, {
      token: key,
    });
    expect(got.body.payload).toEqual({ n: 1 });
  });

  it("treats the same eventId twice as one message", async () => {
    const { appId, key } = await newApp();
    const send = () =>
      call<MessageBody>("POST", messagesOf(appId), {
        token: key,
        body: { eventType: "user.created", payload: { u: 1 }, eventId: "evt_123" },
      });
    const first = await send();
    const second = await send();
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await countFor("messages", appId)).toBe(1);
  });

  it("keeps keys per app: the same key in two apps makes two messages", async () => {
    const a = await newApp();
    const b = await newApp();
    const ids: string[] = [];
    for (const { appId, key } of [a, b]) {
      const res = await call<MessageBody>("POST", messagesOf(appId), {
        token: key,
        body: { eventType: "a.b", payload: {} },
        headers: { "idempotency-key": "shared-key" },
      });
      expect(res.status).toBe(202);
      expect(res.headers.get("idempotent-replayed")).toBeNull();
      ids.push(res.body.id);
      expect(await countFor("messages", appId)).toBe(1);
    }
    expect(ids[0]).not.toBe(ids[1]);
  });

  it("makes messages without a key independent, even with equal bodies", async () => {
    const { appId, key } = await newApp();
    const body = { eventType: "a.b", payload: { same: true } };
    const one = await call<MessageBody>("POST", messagesOf(appId), { token: key, body });
    const two = await call<MessageBody>("POST", messagesOf(appId), { token: key, body });
    expect(one.body.id).not.toBe(two.body.id);
    expect(await countFor("messages", appId)).toBe(2);
  });

  it("creates exactly one message from 10 concurrent requests with one key", async () => {
    const { sent } = spyOnDeliveries();
    const { appId, key } = await newApp();
    const ep = await newEndpoint(appId);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call<MessageBody>("POST", messagesOf(appId), {
          token: key,
          body: { eventType: "invoice.paid", payload: { attempt: i } },
          headers: { "idempotency-key": "burst-key" },
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(answers.filter((a) => a.headers.get("idempotent-replayed") === null)).toHaveLength(1);
    expect(await countFor("messages", appId)).toBe(1);
    expect(await countFor("idempotency_keys", appId)).toBe(1);
    expect((await deliveriesOf(appId, id ?? "")).map((d) => d.endpointId)).toEqual([ep.id]);
    expect(sent()).toEqual([expect.objectContaining({ messageId: id, endpointId: ep.id })]);
  });
});

describe("fan-out", () => {
  it("writes and enqueues exactly one delivery per matching enabled endpoint", async () => {
    const { sent } = spyOnDeliveries({ stub: true });
    const { appId, key } = await newApp();
    const exact = await newEndpoint(appId, { eventTypes: ["invoice.paid"] });
    await newEndpoint(appId, { eventTypes: ["customer.created", "invoice.voided"] });
    const wildcard = await newEndpoint(appId, { eventTypes: ["invoice.*"] });
    const everything = await newEndpoint(appId, { eventTypes: [] });
    const fifo = await newEndpoint(appId, { eventTypes: ["invoice.paid"], ordering: "fifo" });
    await newEndpoint(appId, { eventTypes: ["invoice.paid"], disabled: true });
    const countsBefore = await ingestCounts();

    const raw = '{"eventType":"invoice.paid","payload":{"marker":"payload-marker-7f3a"}}';
    const res = await call<MessageBody>("POST", messagesOf(appId), {
      token: key,
      raw,
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(202);

    const firstTry = [exact.id, wildcard.id, everything.id].sort();
    const matched = [...firstTry, fifo.id].sort();
    expect(res.body.deliveries.map((d) => d.endpointId).sort()).toEqual(matched);
    expect((await deliveriesOf(appId, res.body.id)).map((d) => [d.endpointId, d.status])).toEqual(
      matched.map((id) => [id, "pending"]),
    );
    // One message row; only the FIFO delivery gets an open row (it orders the endpoint's queue).
    expect(await ingestCounts()).toEqual({
      messages: countsBefore.messages + 1,
      deliveries: countsBefore.deliveries + 1,
      idempotency: countsBefore.idempotency,
    });

    // One task per matching endpoint: a first-try delivery carrying the message's facts and its
    // payload as sent, or a wake for the FIFO endpoint, which hands out its open rows in order.
    const tasks = sent();
    expect(tasks).toHaveLength(matched.length);
    expect(tasks).toEqual(
      expect.arrayContaining([
        ...firstTry.map((endpointId) => ({
          kind: "delivery",
          appId,
          messageId: res.body.id,
          endpointId,
          eventType: "invoice.paid",
          createdAt: Date.parse(res.body.createdAt),
          payload: '{"marker":"payload-marker-7f3a"}',
        })),
        { kind: "wake", endpointId: fifo.id, appId },
      ]),
    );
    // Never a secret.
    const text = JSON.stringify(tasks);
    expect(text).not.toContain("whsec_");
    for (const ep of [exact, wildcard, everything, fifo]) expect(text).not.toContain(ep.secret);
  });

  it("matches a wildcard on deeper names but not on the bare prefix", async () => {
    const { appId, key } = await newApp();
    const ep = await newEndpoint(appId, { eventTypes: ["invoice.*"] });
    const send = async (eventType: string) =>
      (
        await call<MessageBody>("POST", messagesOf(appId), {
          token: key,
          body: { eventType, payload: {} },
        })
      ).body.deliveries.map((d) => d.endpointId);
    expect(await send("invoice.line.added")).toEqual([ep.id]);
    expect(await send("invoice")).toEqual([]);
    expect(await send("invoices.paid")).toEqual([]);
  });

  it("stops sending to an endpoint once it is disabled, and resumes once re-enabled", async () => {
    const { appId, key } = await newApp();
    const ep = await newEndpoint(appId);
    const send = async () =>
      (
        await call<MessageBody>("POST", messagesOf(appId), {
          token: key,
          body: { eventType: "a.b", payload: {} },
        })
      ).body.deliveries.length;
    await call("PATCH", `/v1/apps/${appId}/endpoints/${ep.id}`, { body: { disabled: true } });
    expect(await send()).toBe(0);
    await call("PATCH", `/v1/apps/${appId}/endpoints/${ep.id}`, { body: { disabled: false } });
    expect(await send()).toBe(1);
  });
});

describe("fan-out wider than one queue batch (sendBatch takes at most 100)", () => {
  const WIDE = 150;
  let appId: string;
  let key: string;
  let endpointIds: string[];

  beforeAll(async () => {
    ({ appId, key } = await newApp("wide"));
    // One shared profile: 150 endpoints without 150 generated secrets.
    const profile = await call<{ id: string }>("POST", `/v1/apps/${appId}/auth-profiles`, {
      body: {},
    });
    endpointIds = [];
    for (let i = 0; i < WIDE; i++) {
      const ep = await newEndpoint(appId, {
        url: `https://wide-${i}.example.com/hook`,
        authProfileId: profile.body.id,
      });
      endpointIds.push(ep.id);
    }
    endpointIds.sort();
  });

  it("accepts 150 matching endpoints at once: one message naming 150 deliveries, one range task that a consumer turns into 150 first tries", async () => {
    // Stubbed: the test counts what was sent; 150 real deliveries would only slow the file down.
    const { spy, sent } = spyOnDeliveries({ stub: true });
    const before = await ingestCounts();
    const res = await call<MessageBody>("POST", messagesOf(appId), {
      token: key,
      body: { eventType: "wide.event", payload: { marker: "wide-1" } },
    });
    expect(res.status).toBe(202);
    expect(res.body.deliveries.map((d) => d.endpointId).sort()).toEqual(endpointIds);
    // One message row names all 150 deliveries: no row per delivery.
    expect(await ingestCounts()).toEqual({ ...before, messages: before.messages + 1 });
    expect((await deliveriesOf(appId, res.body.id)).map((d) => d.endpointId)).toEqual(endpointIds);

    // Ingest sent one task for the whole range, not 150.
    const ranges = spy.mock.calls.flatMap(([batch]) => Array.from(batch).map((m) => m.body));
    expect(ranges).toEqual([{ kind: "fanout", appId, messageId: res.body.id, from: 0, to: WIDE }]);

    // The consumer that takes it sends one first try per endpoint, in sends of at most 100.
    spy.mockClear();
    const result = await runConsumer(ranges);
    expect(result.explicitAcks).toEqual(result.ids);
    expect(spy.mock.calls.map(([batch]) => Array.from(batch).length).sort()).toEqual([100, 50]);
    const tasks = sent(res.body.id) as QueuedTask[];
    expect(tasks).toHaveLength(WIDE);
    expect(tasks.map((t) => t.endpointId).sort()).toEqual(endpointIds);
    expect(
      tasks.every(
        (t) =>
          t.kind === "delivery" &&
          t.messageId === res.body.id &&
          t.payload === '{"marker":"wide-1"}',
      ),
    ).toBe(true);
    // A range handed out twice (its consumer died after sending) sends its tasks again; the
    // consumers that take them skip what already went out.
    spy.mockClear();
    await runConsumer(ranges);
    expect((sent(res.body.id) as QueuedTask[]).map((t) => t.endpointId).sort()).toEqual(
      endpointIds,
    );
  });
  it("gives every endpoint exactly one delivery when the consumer expanding a range dies before acking it", async () => {
    const { spy, sent } = spyOnDeliveries({ stub: true });
    const res = await call<MessageBody>("POST", messagesOf(appId), {
      token: key,
      body: { eventType: "wide.event", payload: { marker: "crash-mid-fanout" } },
    });
    expect(res.status).toBe(202);
    const ranges = spy.mock.calls.flatMap(([batch]) => Array.from(batch).map((m) => m.body));
    spy.mockClear();
    await runConsumer(ranges);
    const firstTries = sent(res.body.id) as QueuedTask[];
    expect(firstTries).toHaveLength(WIDE);

    // 60 of them went out and were recorded; then the range came back (its consumer died before
    // the ack) and was expanded again: all 150 first tries are queued a second time.
    const requests = receiver(() => new Response("ok"));
    // Background consumers of earlier tests' tasks may send too: count this message's requests.
    const seen = () => requests.filter((r) => r.headers["webhook-id"] === res.body.id);
    await runConsumer(firstTries.slice(0, 60));
    expect(seen()).toHaveLength(60);
    spy.mockClear();
    await runConsumer(ranges);
    const again = sent(res.body.id) as QueuedTask[];
    expect(again).toHaveLength(WIDE);
    await runConsumer(again);

    // Only the 90 that had not gone out were sent; each endpoint got exactly one request.
    expect(seen()).toHaveLength(WIDE);
    expect(new Set(seen().map((r) => r.url)).size).toBe(WIDE);
    const statuses = await deliveriesOf(appId, res.body.id);
    expect(statuses.map((d) => d.status)).toEqual(new Array(WIDE).fill("succeeded"));
  });
});

describe("the cap on an app's endpoints", () => {
  it("refuses one endpoint past the app's limit with 422 naming maxEndpoints, and takes it once the operator raises the limit", async () => {
    const { appId } = await newApp("capped");
    const vars = { MAX_ENDPOINTS: "2" };
    const create = (n: number) =>
      call("POST", `/v1/apps/${appId}/endpoints`, {
        body: { url: `https://cap-${n}.example.com/hook` },
        vars,
      });
    expect((await create(1)).status).toBe(201);
    expect((await create(2)).status).toBe(201);
    const refused = await create(3);
    const problem = expectProblem(refused, 422, "maxEndpoints");
    expect(problem.detail).toBe(
      "This app has 2 endpoints, its limit (maxEndpoints); the operator can raise it.",
    );
    expect(await countFor("endpoints", appId)).toBe(2);

    const raised = await call<{ maxEndpoints: number }>("PATCH", `/v1/apps/${appId}`, {
      body: { maxEndpoints: 3 },
    });
    expect(raised.status).toBe(200);
    expect(raised.body.maxEndpoints).toBe(3);
    expect((await create(3)).status).toBe(201);
    expect((await create(4)).status).toBe(422);
  });
});
