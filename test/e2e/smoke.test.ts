import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hooklane, type Receiver, startHooklane, startReceiver } from "./harness";

/** The harness itself works: the README's command starts a service, and a receiver records. */
describe("e2e smoke", () => {
  let hooklane: Hooklane | undefined;
  let receiver: Receiver | undefined;

  beforeAll(async () => {
    receiver = await startReceiver();
    hooklane = await startHooklane();
  });

  afterAll(async () => {
    await hooklane?.stop();
    await receiver?.close();
  });

  it("answers GET /healthz", async () => {
    if (!hooklane) throw new Error("not started");
    const res = await fetch(`${hooklane.baseUrl}/healthz`);
    expect(res.status, hooklane.logs()).toBe(200);
    await res.arrayBuffer();
  });

  it("reaches the receiver and records the request", async () => {
    if (!receiver) throw new Error("not started");
    const res = await fetch(receiver.url("/x"), { method: "POST", body: '{"a":1}' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok");
    await receiver.waitFor(() => receiver?.requests.length === 1, 2_000, "the direct request");
    expect(receiver.requests[0]).toMatchObject({
      path: "/x",
      method: "POST",
      body: '{"a":1}',
      attempt: 1,
      verified: undefined,
      responseStatus: 200,
    });
  });

  it("verifies Standard Webhooks signatures for paths with a secret", async () => {
    if (!receiver) throw new Error("not started");
    const r = receiver;
    const secret = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;
    r.setSecret("/signed", secret);
    const body = '{"type":"t","timestamp":"2026-01-01T00:00:00Z","data":{}}';
    const sign = (id: string) => {
      const signature = new Webhook(secret).sign(id, new Date(), body);
      const timestamp = String(Math.floor(Date.now() / 1000));
      return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature };
    };
    await fetch(r.url("/signed"), { method: "POST", body, headers: sign("msg_1") });
    const bad = { ...sign("msg_1"), "webhook-signature": "v1,AAAA" };
    await fetch(r.url("/signed"), { method: "POST", body, headers: bad });
    await r.waitFor(() => r.requests.filter((q) => q.path === "/signed").length === 2, 2_000, "2");
    const signed = r.requests.filter((q) => q.path === "/signed");
    expect(signed.map((q) => [q.webhookId, q.attempt, q.verified])).toEqual([
      ["msg_1", 1, true],
      ["msg_1", 2, false],
    ]);
  });

  it("fires the sweeper ticker against /__scheduled", async () => {
    if (!hooklane) throw new Error("not started");
    const h = hooklane;
    // SWEEP_TICK_S is 2 in tests: the ticker must have called /__scheduled within a few seconds.
    const deadline = Date.now() + 15_000;
    while (!h.logs().includes("GET /__scheduled") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(h.logs()).toContain("GET /__scheduled");
  });
});
