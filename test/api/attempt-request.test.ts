import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { receiver, runConsumer, seedDeliveries } from "../delivery/fixtures";
import { call, newApp, newEndpoint } from "../helpers";

interface RebuiltBody {
  sent: boolean;
  url: string;
  headers: { name: string; value: string; redacted?: boolean }[];
  body: string;
  signature: { recomputed: boolean; detail: string };
  notes: string[];
}

async function attemptsOf(appId: string, messageId: string) {
  const res = await call<{ data: { id: string; attempt: number }[] }>(
    "GET",
    `/v1/apps/${appId}/messages/${messageId}/attempts`,
  );
  expect(res.status).toBe(200);
  return res.body.data;
}

async function rebuilt(appId: string, messageId: string, attemptId: string) {
  return call<RebuiltBody>(
    "GET",
    `/v1/apps/${appId}/messages/${messageId}/attempts/${attemptId}/request`,
  );
}

beforeEach(() => {
  vi.spyOn(env.DELIVERIES, "send").mockResolvedValue({
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("GET .../attempts/{attemptId}/request", () => {
  it("rebuilds every header and the body exactly as the receiver got them", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { headers: { "x-tenant": "t1" } });
    // Sent after a rotation: both secrets sign, and both signatures must come back.
    const rotated = await call(
      "POST",
      `/v1/apps/${appId}/auth-profiles/${ep.authProfileId}/rotate`,
      {
        body: { graceSeconds: 3600 },
      },
    );
    expect(rotated.status).toBe(200);
    const seen = receiver(() => new Response("thanks"));
    const [task] = await seedDeliveries(appId, [ep.id], { note: "ünï" });
    if (!task) throw new Error("no task");
    await runConsumer([task]);
    const [got] = seen;
    if (!got) throw new Error("no request");
    const [attempt] = await attemptsOf(appId, task.messageId);
    if (!attempt) throw new Error("no attempt");

    const res = await rebuilt(appId, task.messageId, attempt.id);
    expect(res.status).toBe(200);
    expect(res.body.sent).toBe(true);
    expect(res.body.signature.recomputed).toBe(true);
    expect(res.body.body).toBe(got.body);
    expect(res.body.url).toBe(got.url);
    const headers = Object.fromEntries(res.body.headers.map((h) => [h.name, h.value]));
    expect(headers).toEqual(got.headers);
    expect(headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expect(() => new Webhook(ep.secret).verify(res.body.body, headers)).not.toThrow();
    expect(res.body.notes).toEqual([]);
  });

  it("rebuilds each attempt of a retried delivery with its own timestamp", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const seen = receiver(
      (_req, n) => new Response(n === 1 ? "busy" : "ok", { status: n === 1 ? 500 : 200 }),
    );
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("no task");
    await runConsumer([task]);
    // A second later (another webhook-timestamp), the retry falls due and its wake sends it.
    await new Promise((r) => setTimeout(r, 1100));
    await env.DB.prepare("UPDATE open_deliveries SET due_at = ? WHERE message_id = ?")
      .bind(Date.now() - 1000, task.messageId)
      .run();
    await runConsumer([{ kind: "wake", endpointId: ep.id, appId }]);
    expect(seen).toHaveLength(2);
    const attempts = await attemptsOf(appId, task.messageId);
    expect(attempts.map((a) => a.attempt)).toEqual([2, 1]);
    for (const a of attempts) {
      const res = await rebuilt(appId, task.messageId, a.id);
      const headers = Object.fromEntries(res.body.headers.map((h) => [h.name, h.value]));
      expect(headers).toEqual(seen[a.attempt - 1]?.headers);
    }
    expect(seen[0]?.headers["webhook-timestamp"]).not.toBe(seen[1]?.headers["webhook-timestamp"]);
  });

  it("recomputes an ed25519 (v1a) signature equal to the one sent", async () => {
    const { appId } = await newApp();
    const profile = await call<{ id: string }>("POST", `/v1/apps/${appId}/auth-profiles`, {
      body: { type: "ed25519" },
    });
    const ep = await newEndpoint(appId, { authProfileId: profile.body.id });
    const seen = receiver(() => new Response("ok"));
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("no task");
    await runConsumer([task]);
    const [attempt] = await attemptsOf(appId, task.messageId);
    const res = await rebuilt(appId, task.messageId, attempt?.id ?? "");
    expect(res.body.signature.recomputed).toBe(true);
    const headers = Object.fromEntries(res.body.headers.map((h) => [h.name, h.value]));
    expect(headers["webhook-signature"]).toMatch(/^v1a,/);
    expect(headers).toEqual(seen[0]?.headers);
  });

  it("redacts a bearer token and says nothing was signed", async () => {
    const { appId } = await newApp();
    const profile = await call<{ id: string }>("POST", `/v1/apps/${appId}/auth-profiles`, {
      body: { type: "bearer", secret: "tok_supersecret_value_123456" },
    });
    expect(profile.status).toBe(201);
    const ep = await newEndpoint(appId, { authProfileId: profile.body.id });
    const seen = receiver(() => new Response("ok"));
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("no task");
    await runConsumer([task]);
    expect(seen[0]?.headers.authorization).toBe("Bearer tok_supersecret_value_123456");
    const [attempt] = await attemptsOf(appId, task.messageId);
    const res = await rebuilt(appId, task.messageId, attempt?.id ?? "");
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).not.toContain("supersecret");
    expect(res.body.headers).toContainEqual({
      name: "authorization",
      value: "Bearer [redacted]",
      redacted: true,
    });
    expect(res.body.signature.recomputed).toBe(false);
  });

  it("says when the endpoint changed after the attempt, and 404s an unknown attempt", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    receiver(() => new Response("ok"));
    const [task] = await seedDeliveries(appId, [ep.id]);
    if (!task) throw new Error("no task");
    await runConsumer([task]);
    const [attempt] = await attemptsOf(appId, task.messageId);
    await new Promise((r) => setTimeout(r, 5));
    const patched = await call("PATCH", `/v1/apps/${appId}/endpoints/${ep.id}`, {
      body: { headers: { "x-new": "1" } },
    });
    expect(patched.status).toBe(200);
    const res = await rebuilt(appId, task.messageId, attempt?.id ?? "");
    expect(res.body.notes.join(" ")).toMatch(/changed .* after this attempt/);
    const missing = await rebuilt(appId, task.messageId, "att_0000000000000000000000000000");
    expect(missing.status).toBe(404);
  });
});
