import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { deliveryId, timeOfId } from "../../src/lib/ids";
import { ADMIN, call, newApp, newEndpoint } from "../helpers";
import { allPages, expectProblem, type MessageBody, type Page } from "./support";

async function send(
  appId: string,
  key: string,
  body: Record<string, unknown>,
): Promise<MessageBody> {
  const res = await call<MessageBody>("POST", `/v1/apps/${appId}/messages`, { token: key, body });
  expect(res.status).toBe(202);
  return res.body;
}

describe("GET /v1/apps/{appId}/messages/{messageId}", () => {
  it("returns the message with its payload, eventId and each endpoint's delivery", async () => {
    const { appId, key } = await newApp();
    const one = await newEndpoint(appId);
    const two = await newEndpoint(appId, { eventTypes: ["order.*"] });
    const payload = { order: { id: 7, lines: [1, 2] }, note: "ünïcødé" };
    const sent = await send(appId, key, {
      eventType: "order.created",
      payload,
      eventId: "evt-42",
    });
    const res = await call<MessageBody>("GET", `/v1/apps/${appId}/messages/${sent.id}`, {
      token: key,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: sent.id,
      eventType: "order.created",
      payload,
      eventId: "evt-42",
      createdAt: sent.createdAt,
    });
    // Not stored: the time the message's id carries.
    expect(Date.parse(sent.createdAt)).toBe(timeOfId(sent.id));
    expect(res.body.deliveries.map((d) => d.endpointId).sort()).toEqual([one.id, two.id].sort());
    for (const d of res.body.deliveries) {
      // A delivery is the pair (message, endpoint): its id names both.
      expect(d).toEqual({
        id: deliveryId(sent.id, d.endpointId),
        endpointId: expect.any(String),
        status: expect.stringMatching(/^(pending|succeeded|failed|dead|cancelled)$/),
        attempts: expect.any(Number),
      });
    }
  });

  it("answers 404 for a message that does not exist", async () => {
    const { appId, key } = await newApp();
    const res = await call("GET", `/v1/apps/${appId}/messages/msg_00000000000000000000000000`, {
      token: key,
    });
    expectProblem(res, 404);
  });

  it("answers 400 for a message id no message can have", async () => {
    const { appId, key } = await newApp();
    const res = await call("GET", `/v1/apps/${appId}/messages/${"m".repeat(65)}`, { token: key });
    expectProblem(res, 400, "messageId");
  });
});

describe("GET /v1/apps/{appId}/messages", () => {
  it("pages through messages newest first, each seen once, ending with a null cursor", async () => {
    const { appId, key } = await newApp();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await send(appId, key, { eventType: "tick", payload: { i } })).id);
    }
    const { items, pages } = await allPages<MessageBody>(
      (q) => call<Page<MessageBody>>("GET", `/v1/apps/${appId}/messages${q}`, { token: key }),
      2,
    );
    expect(items.map((m) => m.id)).toEqual([...ids].reverse());
    expect(items.map((m) => m.payload)).toEqual([4, 3, 2, 1, 0].map((i) => ({ i })));
    expect(pages.map((p) => p.data.length)).toEqual([2, 2, 1]);
    expect(pages.slice(0, -1).every((p) => typeof p.nextCursor === "string")).toBe(true);
    expect(pages.at(-1)?.nextCursor).toBeNull();
  });

  it("answers an empty page with a null cursor for an app without messages", async () => {
    const { appId, key } = await newApp();
    const res = await call<Page<MessageBody>>("GET", `/v1/apps/${appId}/messages`, { token: key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], nextCursor: null });
  });

  it("filters by event type", async () => {
    const { appId, key } = await newApp();
    const paid = await send(appId, key, { eventType: "invoice.paid", payload: {} });
    await send(appId, key, { eventType: "invoice.voided", payload: {} });
    const res = await call<Page<MessageBody>>(
      "GET",
      `/v1/apps/${appId}/messages?eventType=invoice.paid`,
      { token: key },
    );
    expect(res.body.data.map((m) => m.id)).toEqual([paid.id]);
  });

  it("shows each message's deliveries in the list", async () => {
    const { appId, key } = await newApp();
    const ep = await newEndpoint(appId);
    const sent = await send(appId, key, { eventType: "a.b", payload: {} });
    const res = await call<Page<MessageBody>>("GET", `/v1/apps/${appId}/messages`, { token: key });
    const listed = res.body.data.find((m) => m.id === sent.id);
    expect(listed?.deliveries.map((d) => d.endpointId)).toEqual([ep.id]);
  });

  it.each([
    { why: "a garbage cursor", query: "?cursor=%E2%98%83%E2%98%83", field: "cursor" },
    { why: "a cursor of another alphabet", query: "?cursor=Zm9vIGJhcg", field: "cursor" },
    { why: "a limit of 0", query: "?limit=0", field: "limit" },
    { why: "a limit over 250", query: "?limit=1000", field: "limit" },
    { why: "a bad event type filter", query: "?eventType=a%2Fb", field: "eventType" },
  ])("answers 400 problem+json for $why", async ({ query, field }) => {
    const { appId, key } = await newApp();
    const res = await call("GET", `/v1/apps/${appId}/messages${query}`, { token: key });
    expectProblem(res, 400, field);
  });
});

describe("reading a message back", () => {
  it("shows the payload as it was sent: big integers, 1e999 and long decimals keep their spelling", async () => {
    const { appId } = await newApp();
    const payload =
      '{ "big": 12345678901234567890123, "n": 1e999, "d": 0.1000000000000000055511151231257827 }';
    const posted = await worker.fetch(
      new Request(`https://hooklane.test/v1/apps/${appId}/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
        body: `{"eventType":"order.created","payload":${payload}}`,
      }),
      env,
      createExecutionContext(),
    );
    expect(posted.status).toBe(202);
    const { id } = (await posted.json()) as { id: string };
    for (const path of [`/v1/apps/${appId}/messages/${id}`, `/v1/apps/${appId}/messages`]) {
      const res = await worker.fetch(
        new Request(`https://hooklane.test${path}`, {
          headers: { authorization: `Bearer ${ADMIN}` },
        }),
        env,
        createExecutionContext(),
      );
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json");
      const text = await res.text();
      expect(text).toContain(`"payload":${payload}`);
      // Still one JSON document.
      expect(() => JSON.parse(text)).not.toThrow();
    }
  });
});
