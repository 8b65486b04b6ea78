/**
 * The typed client (packages/client) against a running service and a real receiver: the
 * README's first webhook through `new Hooklane(...)`, a lost answer retried with the same
 * idempotency key and accepted once, and a 422 as a typed problem.
 */
import { type FetchLike, Hooklane, HooklaneError } from "@hooklane/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Receiver, type Hooklane as Service, startHooklane, startReceiver } from "./harness";

/** What the client's fetch saw of one request. */
interface Seen {
  method: string;
  url: string;
  idempotencyKey: string | null;
  status: number | "lost";
  replayed: string | null;
}

describe("typed client, end to end", () => {
  let service: Service | undefined;
  let receiver: Receiver | undefined;
  const seen: Seen[] = [];
  let loseNextSend = false;

  /** The real fetch, except that it can drop the answer to a send it did deliver. */
  const lossy: FetchLike = async (url, init) => {
    const res = await fetch(url, init);
    const entry: Seen = {
      method: init.method ?? "GET",
      url,
      idempotencyKey: new Headers(init.headers).get("idempotency-key"),
      status: res.status,
      replayed: res.headers.get("idempotent-replayed"),
    };
    seen.push(entry);
    if (loseNextSend && entry.method === "POST" && url.endsWith("/messages")) {
      loseNextSend = false;
      entry.status = "lost";
      await res.arrayBuffer();
      throw new TypeError("connection reset after the request was sent");
    }
    return res;
  };

  const started = (): { service: Service; receiver: Receiver; client: Hooklane } => {
    if (!service || !receiver) throw new Error("not started");
    const client = new Hooklane({
      baseUrl: service.baseUrl,
      token: service.adminToken,
      fetch: lossy,
      retryDelayMs: 50,
    });
    return { service, receiver, client };
  };

  beforeAll(async () => {
    receiver = await startReceiver();
    service = await startHooklane();
  });

  afterAll(async () => {
    await service?.stop();
    await receiver?.close();
  });

  it("creates an app and an endpoint, sends, and reads the receiver's 200 in the attempts", async () => {
    const { receiver: r, client, service: s } = started();
    const app = await client.apps.create({ name: "client-e2e" });
    const endpoint = await client.endpoints.create(app.id, {
      url: r.url("/client"),
      eventTypes: ["invoice.*"],
    });
    expect(endpoint.secret).toMatch(/^whsec_/);
    r.setSecret("/client", endpoint.secret ?? "");

    // The first answer is lost on the way back: the client retries with the key it made.
    loseNextSend = true;
    const message = await client.messages.send(app.id, {
      eventType: "invoice.paid",
      payload: { invoice: "1001", amount: 4200 },
    });
    const sends = seen.filter((q) => q.method === "POST" && q.url.endsWith("/messages"));
    expect(
      sends.map((q) => [q.status, q.replayed]),
      s.logs(),
    ).toEqual([
      ["lost", null],
      [202, "true"],
    ]);
    expect(sends[0]?.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(sends[1]?.idempotencyKey).toBe(sends[0]?.idempotencyKey);

    await r.waitFor(
      () => r.requests.some((q) => q.webhookId === message.id),
      30_000,
      "the message",
    );
    const page = await client.messages.list(app.id);
    expect(page.data.map((m) => m.id)).toEqual([message.id]);

    let attempts = await client.attempts.listByMessage(app.id, message.id);
    for (let i = 0; attempts.data.length === 0 && i < 40; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      attempts = await client.attempts.listByMessage(app.id, message.id);
    }
    expect(attempts.data.map((a) => [a.endpointId, a.attempt, a.statusCode])).toEqual([
      [endpoint.id, 1, 200],
    ]);
    // Accepted once, delivered once, and the signature checks out.
    const delivered = r.requests.filter((q) => q.path === "/client");
    expect(delivered.map((q) => [q.webhookId, q.verified])).toEqual([[message.id, true]]);
  });

  it("answers a 422 as a HooklaneError carrying the problem and its errors", async () => {
    const { client } = started();
    const app = await client.apps.create({ name: "client-e2e-422" });
    const err = await client.endpoints
      .create(app.id, { url: "not a url", eventTypes: ["invoice.*"] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HooklaneError);
    const problem = err as HooklaneError;
    expect(problem.status).toBe(422);
    expect(problem.problem).toMatchObject({ status: 422, title: expect.any(String) });
    expect(problem.type).toEqual(expect.any(String));
    expect(problem.errors.map((e) => e.field)).toContain("url");
    expect(problem.errors.every((e) => typeof e.detail === "string" && e.detail !== "")).toBe(true);

    const missing = await client.apps.get("app_missing").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(HooklaneError);
    expect((missing as HooklaneError).status).toBe(404);
  });
});
