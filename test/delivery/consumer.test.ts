import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it, vi } from "vitest";
import { fromBase64 } from "../../src/lib/encoding";
import { call, newApp, newEndpoint } from "../helpers";
import {
  attemptRows,
  deliveryRow,
  failFifoHeadLookup,
  operatorEvents,
  operatorNotices,
  receiver,
  runConsumer,
  seedDeliveries,
} from "./fixtures";

const LONG = { RETRY_SCHEDULE: "300,600" };

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

  it("re-sends a failure with the scheduled delay (+-20%) and acks the original", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    receiver(() => new Response("boom", { status: 500 }));
    const send = vi.spyOn(env.DELIVERIES, "sendBatch");
    const [task] = await seedDeliveries(appId, [ep.id]);
    const before = Date.now();
    const result = await runConsumer([task], LONG);

    expect(result.explicitAcks).toEqual(["q0"]);
    expect(result.retryMessages).toEqual([]);
    const sent = send.mock.calls.flatMap(([msgs]) => [...msgs]);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toEqual(task);
    expect(sent[0]?.delaySeconds).toBeGreaterThanOrEqual(240);
    expect(sent[0]?.delaySeconds).toBeLessThanOrEqual(360);
    const row = await deliveryRow(task?.deliveryId ?? "");
    expect(row).toMatchObject({
      status: "failed",
      attempts: 1,
      last_status_code: 500,
      last_error: "HTTP 500",
    });
    expect(row?.next_attempt_at).toBeGreaterThanOrEqual(before + 240_000);
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
      const send = vi.spyOn(env.DELIVERIES, "sendBatch");
      const [task] = await seedDeliveries(appId, [ep.id]);
      await runConsumer([task], LONG);
      const delay = send.mock.calls.flatMap(([msgs]) => [...msgs])[0]?.delaySeconds ?? -1;
      expect(delay).toBeGreaterThanOrEqual(lo);
      expect(delay).toBeLessThanOrEqual(hi);
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
    const [task] = await seedDeliveries(appId, [ep.id]);
    // A schedule of one retry: the second attempt is the last.
    await runConsumer([task], { RETRY_SCHEDULE: "300" });
    await env.DB.prepare("UPDATE deliveries SET next_attempt_at = 0 WHERE id = ?")
      .bind(task?.deliveryId)
      .run();
    await runConsumer([task], { RETRY_SCHEDULE: "300" });
    expect(await deliveryRow(task?.deliveryId ?? "")).toMatchObject({
      status: "dead",
      attempts: 2,
    });
    const attempts = await attemptRows(task?.deliveryId ?? "");
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2]);
    const dead = await env.DB.prepare(
      "SELECT reason, attempts FROM dead_letters WHERE delivery_id = ?",
    )
      .bind(task?.deliveryId)
      .first();
    expect(dead).toEqual({ reason: "exhausted", attempts: 2 });
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
    const result = await runConsumer([...tasks, ...more]);

    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["q1"]);
    expect(result.explicitAcks.sort()).toEqual(["q0", "q2"]);
    expect(seen.map((s) => s.url)).toEqual([
      "https://good.example.com/",
      "https://good.example.com/",
    ]);
    const brokenRow = await deliveryRow(tasks[1]?.deliveryId ?? "");
    expect(brokenRow).toMatchObject({
      status: "pending",
      attempts: 0,
      last_error: "consumer error",
    });
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
    expect(await deliveryRow(task?.deliveryId ?? "")).toMatchObject({
      status: "cancelled",
      last_error: "endpoint deleted",
    });
  });

  it("sends a delivery once when the queue hands it over twice", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const seen = receiver(() => new Response("ok"));
    const [task] = await seedDeliveries(appId, [ep.id]);
    await runConsumer([task, task]);
    await runConsumer([task]);
    expect(seen).toHaveLength(1);
    expect(await deliveryRow(task?.deliveryId ?? "")).toMatchObject({
      status: "succeeded",
      attempts: 1,
    });
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
    await runConsumer([task], { ...LONG, OPERATOR_APP_ID: operator.appId });
    expect(await operatorEvents(ep.id)).toEqual([
      { type: "endpoint.disabled", detail: expect.stringContaining("410") },
    ]);
    expect(await operatorNotices(operator.appId)).toEqual([
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

  it("defers what the gate does not let through without using an attempt", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { rateLimit: 1 });
    const seen = receiver(() => new Response("ok"));
    const send = vi.spyOn(env.DELIVERIES, "sendBatch");
    const tasks = [
      ...(await seedDeliveries(appId, [ep.id])),
      ...(await seedDeliveries(appId, [ep.id])),
      ...(await seedDeliveries(appId, [ep.id])),
    ];
    const result = await runConsumer(tasks, LONG);
    // One per second: the first goes now, the second is paced a second later, the third waits.
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.length).toBeLessThanOrEqual(2);
    expect(result.explicitAcks.sort()).toEqual(["q0", "q1", "q2"]);
    const deferred = send.mock.calls.flatMap(([m]) => [...m]);
    expect(deferred.length).toBe(3 - seen.length);
    for (const m of deferred) {
      expect(m.delaySeconds).toBeGreaterThanOrEqual(1);
      const row = await deliveryRow((m.body as { deliveryId: string }).deliveryId);
      expect(row).toMatchObject({ status: "pending", attempts: 0, total_attempts: 0 });
    }
  });

  it("a batch that throws after claiming releases its claims, so the queue's retry takes them at once", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { ordering: "fifo" });
    const seen = receiver(() => new Response("ok"));
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("seeding failed");
    // D1 fails on the FIFO head look-up, after the claim: outside any one delivery's handling.
    const spy = failFifoHeadLookup();
    await expect(runConsumer([task], LONG)).rejects.toThrow("injected");
    spy.mockRestore();
    expect(seen).toHaveLength(0);
    const released = await env.DB.prepare(
      "SELECT status, lease_until, attempts FROM deliveries WHERE id = ?",
    )
      .bind(task.deliveryId)
      .first();
    expect(released).toEqual({ status: "delivering", lease_until: 0, attempts: 0 });

    // The queue's retry claims it at once (no lease to wait out) and delivers it.
    const retry = await runConsumer([task], LONG);
    expect(retry.explicitAcks).toEqual(["q0"]);
    expect(seen).toHaveLength(1);
    expect(await deliveryRow(task.deliveryId)).toMatchObject({ status: "succeeded" });
  });
});
