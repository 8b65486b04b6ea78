import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hooklane, type Receiver, startHooklane, startReceiver } from "./harness";

/**
 * Endpoint transforms against the running service: a transform that renames fields and adds a
 * header reaches a real receiver that verifies the signature over the transformed body with
 * `standardwebhooks`; transforms that throw or run away end as attempts with their error while
 * the same message's other deliveries (one consumer batch) go out.
 */

interface Attempt {
  endpointId: string;
  attempt: number;
  error?: string;
  statusCode?: number;
}

interface Delivery {
  endpointId: string;
  status: string;
}

describe("e2e transforms", () => {
  let hooklane: Hooklane | undefined;
  let receiver: Receiver | undefined;
  let appId = "";

  beforeAll(async () => {
    receiver = await startReceiver();
    hooklane = await startHooklane();
    const app = await hooklane.api("/v1/apps", { body: { name: "transforms" } });
    expect(app.status, hooklane.logs()).toBe(201);
    appId = (app.body as { id: string }).id;
  });

  afterAll(async () => {
    await hooklane?.stop();
    await receiver?.close();
  });

  async function endpoint(h: Hooklane, body: Record<string, unknown>) {
    const res = await h.api(`/v1/apps/${appId}/endpoints`, {
      body: { eventTypes: ["order.*"], ...body },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; secret: string };
  }

  it("delivers a renamed body with an added header, signed over the bytes sent, while failing transforms are attempts with their error", async () => {
    const h = hooklane;
    const r = receiver;
    if (!h || !r) throw new Error("not started");
    const renamed = await endpoint(h, {
      url: r.url("/renamed"),
      transform:
        '{ "body": { "kind": type, "orderId": data.order, "cents": data.amount }, "path": "/" & data.order, "headers": { "x-order": data.order } }',
    });
    r.setSecret("/renamed/o-42", renamed.secret);
    const throws = await endpoint(h, {
      url: r.url("/throws"),
      transform: '$error("order " & data.order & " has no customer")',
    });
    const runaway = await endpoint(h, {
      url: r.url("/runaway"),
      transform: '$count([1..5000].($string($) & "x").($ & "y"))',
    });
    const healthy = await endpoint(h, { url: r.url("/healthy") });
    r.setSecret("/healthy", healthy.secret);

    const sent = await h.api(`/v1/apps/${appId}/messages`, {
      body: { eventType: "order.paid", payload: { order: "o-42", amount: 4200 } },
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const messageId = (sent.body as { id: string }).id;

    await r.waitFor(
      () =>
        r.requests.some((q) => q.path === "/renamed/o-42") &&
        r.requests.some((q) => q.path === "/healthy"),
      30_000,
      "the transformed and the plain delivery",
    );
    const got = r.requests.find((q) => q.path === "/renamed/o-42");
    expect(got?.verified, got?.verifyError).toBe(true);
    expect(got?.body).toBe('{"kind":"order.paid","orderId":"o-42","cents":4200}');
    expect(got?.headers["x-order"]).toBe("o-42");
    expect(got?.webhookId).toBe(messageId);
    const plain = r.requests.find((q) => q.path === "/healthy");
    expect(plain?.verified, plain?.verifyError).toBe(true);
    expect(JSON.parse(plain?.body ?? "{}")).toMatchObject({
      type: "order.paid",
      data: { order: "o-42", amount: 4200 },
    });

    // The failing transforms: an attempt each with the error, dead-lettered, nothing sent.
    let attempts: Attempt[] = [];
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await h.api(`/v1/apps/${appId}/messages/${messageId}/attempts`);
      attempts = (res.body as { data: Attempt[] }).data;
      const failed = attempts.filter(
        (a) => a.endpointId === throws.id || a.endpointId === runaway.id,
      );
      if (failed.length === 2 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(attempts.find((a) => a.endpointId === throws.id)).toMatchObject({
      attempt: 1,
      error: "transform_error: order o-42 has no customer",
    });
    expect(attempts.find((a) => a.endpointId === runaway.id)?.error).toMatch(
      /^transform_error: evaluation exceeded \d+ steps \(time cap\)$/,
    );
    expect(r.requests.some((q) => q.path === "/throws" || q.path === "/runaway")).toBe(false);

    const message = await h.api(`/v1/apps/${appId}/messages/${messageId}`);
    const deliveries = (message.body as { deliveries: Delivery[] }).deliveries;
    const status = (id: string) => deliveries.find((d) => d.endpointId === id)?.status;
    expect(status(renamed.id)).toBe("succeeded");
    expect(status(healthy.id)).toBe("succeeded");
    expect(status(throws.id)).toBe("dead");
    expect(status(runaway.id)).toBe("dead");
    const dead = await h.api(`/v1/apps/${appId}/dead-letters`);
    const reasons = (dead.body as { data: { endpointId: string; reason: string }[] }).data;
    expect(reasons.find((d) => d.endpointId === throws.id)?.reason).toBe(
      "transform_error: order o-42 has no customer",
    );
  });
});
