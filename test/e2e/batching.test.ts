import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hooklane, type Receiver, startHooklane, startReceiver } from "./harness";

/**
 * Endpoint batching against the running service: messages to a batching endpoint reach a real
 * receiver as JSON arrays of envelopes (250 messages to a maxEvents 50 endpoint in 5 requests,
 * however the queue splits them), each request signed over the whole array under the
 * batch's own webhook-id and verified with `standardwebhooks`; a short batch goes once it has
 * waited maxWaitMs; a batch the receiver refuses is retried whole, under the same id.
 */

interface Envelope {
  id: string;
  type: string;
  data: { n: number };
}

describe("e2e batching", () => {
  let hooklane: Hooklane | undefined;
  let receiver: Receiver | undefined;
  let appId = "";

  beforeAll(async () => {
    // The first request to /flaky fails: its batch is retried whole a second later.
    receiver = await startReceiver((req) =>
      req.path === "/flaky" && req.attempt === 1
        ? { status: 503, body: "busy" }
        : { status: 200, body: "ok" },
    );
    hooklane = await startHooklane({ vars: { RETRY_SCHEDULE: "1,1,2" } });
    const app = await hooklane.api("/v1/apps", { body: { name: "batching" } });
    expect(app.status, hooklane.logs()).toBe(201);
    appId = (app.body as { id: string }).id;
  });

  afterAll(async () => {
    await hooklane?.stop();
    await receiver?.close();
  });

  async function endpoint(h: Hooklane, eventType: string, body: Record<string, unknown>) {
    const res = await h.api(`/v1/apps/${appId}/endpoints`, {
      body: { eventTypes: [eventType], ...body },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; secret: string };
  }

  async function send(h: Hooklane, eventType: string, n: number): Promise<string> {
    const res = await h.api(`/v1/apps/${appId}/messages`, {
      body: { eventType, payload: { n } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return (res.body as { id: string }).id;
  }

  it("delivers every message once, in signed batches of at most maxEvents", async () => {
    const h = hooklane;
    const r = receiver;
    if (!h || !r) throw new Error("not started");
    const ep = await endpoint(h, "order.created", {
      url: r.url("/batched"),
      batch: { maxEvents: 5, maxWaitMs: 500 },
    });
    r.setSecret("/batched", ep.secret);
    const ids: string[] = [];
    for (let n = 0; n < 12; n++) ids.push(await send(h, "order.created", n));

    const received = () =>
      r.requests
        .filter((q) => q.path === "/batched")
        .flatMap((q) => (JSON.parse(q.body) as Envelope[]).map((e) => e.id));
    await r.waitFor(() => received().length >= 12, 30_000, "all 12 messages in batches");
    const requests = r.requests.filter((q) => q.path === "/batched");
    const wh = new Webhook(ep.secret);
    for (const q of requests) {
      expect(q.verified, q.verifyError).toBe(true);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(q.headers)) if (typeof v === "string") headers[k] = v;
      const batch = wh.verify(q.body, headers) as Envelope[];
      expect(batch.length).toBeGreaterThanOrEqual(1);
      expect(batch.length).toBeLessThanOrEqual(5);
      expect(q.webhookId).toMatch(/^bat_/);
      for (const e of batch) expect(e.type).toBe("order.created");
    }
    // Fewer requests than messages, every message exactly once.
    expect(requests.length).toBeLessThan(12);
    expect(received().sort()).toEqual([...ids].sort());
  });

  it("sends 250 messages to a maxEvents 50 endpoint in 5 requests of 50, each verified", async () => {
    const h = hooklane;
    const r = receiver;
    if (!h || !r) throw new Error("not started");
    // A minute's wait: only a full batch goes, however the queue splits the 250 first tries.
    const ep = await endpoint(h, "shipment.sent", {
      url: r.url("/fifty"),
      batch: { maxEvents: 50, maxWaitMs: 60_000 },
    });
    r.setSecret("/fifty", ep.secret);
    const ids: string[] = [];
    const started = Date.now();
    // Ten senders at a time, as a busy producer would.
    for (let i = 0; i < 250; i += 10) {
      const sent = await Promise.all(
        Array.from({ length: 10 }, (_, k) => send(h, "shipment.sent", i + k)),
      );
      ids.push(...sent);
    }
    const requests = () => r.requests.filter((q) => q.path === "/fifty");
    const received = () => requests().flatMap((q) => JSON.parse(q.body) as Envelope[]);
    await r.waitFor(() => received().length >= 250, 50_000, "250 messages in batches");
    const wh = new Webhook(ep.secret);
    for (const q of requests()) {
      expect(q.verified, q.verifyError).toBe(true);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(q.headers)) if (typeof v === "string") headers[k] = v;
      expect((wh.verify(q.body, headers) as Envelope[]).length).toBe(50);
    }
    expect(requests()).toHaveLength(5);
    expect(new Set(requests().map((q) => q.webhookId)).size).toBe(5);
    expect(
      received()
        .map((e) => e.id)
        .sort(),
    ).toEqual([...ids].sort());
    console.log(
      `[e2e batching] 250 messages in ${requests().length} requests of ` +
        `${requests()
          .map((q) => (JSON.parse(q.body) as Envelope[]).length)
          .join(", ")}; ` +
        `last at ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });

  it("retries a refused batch whole, under the same webhook-id", async () => {
    const h = hooklane;
    const r = receiver;
    if (!h || !r) throw new Error("not started");
    const ep = await endpoint(h, "invoice.paid", {
      url: r.url("/flaky"),
      batch: { maxEvents: 3, maxWaitMs: 200 },
    });
    r.setSecret("/flaky", ep.secret);
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) ids.push(await send(h, "invoice.paid", n));

    const ok = () => r.requests.filter((q) => q.path === "/flaky" && q.responseStatus === 200);
    const sentIds = () =>
      r.requests
        .filter((q) => q.path === "/flaky" && q.responseStatus === 200)
        .flatMap((q) => (JSON.parse(q.body) as Envelope[]).map((e) => e.id));
    await r.waitFor(() => sentIds().length >= 3, 30_000, "the three messages delivered");
    const refused = r.requests.filter((q) => q.path === "/flaky" && q.responseStatus === 503);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const q of r.requests.filter((x) => x.path === "/flaky"))
      expect(q.verified, q.verifyError).toBe(true);
    // The refused request's batch came back with the same members under the same id.
    const first = refused[0];
    const retried = ok().find((q) => q.webhookId === first?.webhookId);
    expect(retried?.body).toBe(first?.body);
    expect(sentIds().sort()).toEqual([...ids].sort());
  });
});
