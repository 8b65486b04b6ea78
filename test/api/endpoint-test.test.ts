import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultTestEventType } from "../../src/api/routes/endpoint-test";
import { call, newApp, newEndpoint } from "../helpers";
import { expectProblem, type MessageBody, spyOnDeliveries } from "./support";

const testPath = (appId: string, endpointId: string) =>
  `/v1/apps/${appId}/endpoints/${endpointId}/test`;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("POST /v1/apps/{appId}/endpoints/{endpointId}/test", () => {
  it("delivers to that endpoint only, with its first event type and a timestamped payload", async () => {
    const { sent } = spyOnDeliveries({ stub: true });
    const { appId, key } = await newApp();
    const target = await newEndpoint(appId, { eventTypes: ["invoice.paid"] });
    // Another endpoint that would match the same type gets nothing.
    const other = await newEndpoint(appId, { eventTypes: ["invoice.paid"] });
    const res = await call<MessageBody>("POST", testPath(appId, target.id), {
      token: key,
      body: {},
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^msg_/),
      eventType: "invoice.paid",
      deliveries: [{ endpointId: target.id, status: "pending", attempts: 0 }],
    });
    expect(sent(res.body.id)).toEqual([
      expect.objectContaining({ messageId: res.body.id, endpointId: target.id }),
    ]);
    expect(sent(res.body.id)).not.toContainEqual(expect.objectContaining({ endpointId: other.id }));
    const stored = await call<MessageBody>("GET", `/v1/apps/${appId}/messages/${res.body.id}`);
    expect(stored.body.payload).toMatchObject({
      type: "invoice.paid",
      test: true,
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it("takes a given event type and payload, even one the endpoint's filters would not", async () => {
    spyOnDeliveries({ stub: true });
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { eventTypes: ["invoice.paid"] });
    const res = await call<MessageBody>("POST", testPath(appId, ep.id), {
      raw: '{"eventType":"order.shipped","payload":{"big":12345678901234567890}}',
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(202);
    expect(res.body.eventType).toBe("order.shipped");
    expect(res.body.deliveries.map((d) => d.endpointId)).toEqual([ep.id]);
    // The payload is stored as written: the big integer keeps its digits.
    const row = await env.DB.prepare("SELECT payload FROM messages WHERE id = ?")
      .bind(res.body.id)
      .first<{ payload: string }>();
    expect(row?.payload).toBe('{"big":12345678901234567890}');
  });

  it("answers 404 for an unknown endpoint and 422 for bad input", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    expectProblem(
      await call("POST", testPath(appId, "ep_01JAAAAAAAAAAAAAAAAAAAAAAA"), { body: {} }),
      404,
    );
    expectProblem(
      await call("POST", testPath(appId, ep.id), { body: { eventType: "no spaces" } }),
      422,
      "eventType",
    );
    expectProblem(await call("POST", testPath(appId, ep.id), { body: { payload: [1] } }), 422);
    expectProblem(await call("POST", testPath(appId, ep.id), { body: { extra: 1 } }), 422);
  });

  it("answers 409 for a disabled endpoint", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { disabled: true });
    expectProblem(await call("POST", testPath(appId, ep.id), { body: {} }), 409);
  });

  it("is in the OpenAPI document", async () => {
    const doc = await call<{ paths: Record<string, Record<string, unknown>> }>(
      "GET",
      "/openapi.json",
    );
    expect(doc.body.paths["/v1/apps/{appId}/endpoints/{endpointId}/test"]).toHaveProperty("post");
  });
});

describe("defaultTestEventType", () => {
  it("makes the first filter concrete, or falls back to hooklane.test", () => {
    expect(defaultTestEventType([])).toBe("hooklane.test");
    expect(defaultTestEventType(["*"])).toBe("hooklane.test");
    expect(defaultTestEventType(["invoice.*", "a"])).toBe("invoice.test");
    expect(defaultTestEventType(["order.created"])).toBe("order.created");
  });
});
