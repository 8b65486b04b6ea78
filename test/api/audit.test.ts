import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { deliveryRow, seedDeliveries } from "../delivery/fixtures";
import { call, newApp, newEndpoint } from "../helpers";
import { expectProblem, spyOnDeliveries } from "./support";

interface Entry {
  id: string;
  actor: string;
  action: string;
  resourceType: string;
  resourceId?: string;
  detail?: Record<string, unknown>;
  createdAt: string;
}

async function trail(appId: string, token?: string): Promise<Entry[]> {
  const res = await call<{ data: Entry[] }>("GET", `/v1/apps/${appId}/audit?limit=250`, { token });
  expect(res.status).toBe(200);
  return res.body.data;
}

/** `actor action resourceType resourceId`: one line per entry, for whole-trail comparisons. */
function lines(entries: Entry[]): string[] {
  return entries.map((e) => `${e.actor} ${e.action} ${e.resourceType} ${e.resourceId ?? "-"}`);
}

/**
 * Every entry was written during this test (`since` .. now), in ISO 8601 UTC, newest first, and
 * by one of the callers the test used.
 */
function expectSane(entries: Entry[], since: number, actors: string[]): void {
  const now = Date.now();
  expect(entries.length).toBeGreaterThan(0);
  for (const e of entries) {
    expect(e.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const at = Date.parse(e.createdAt);
    expect(at).toBeGreaterThanOrEqual(since);
    expect(at).toBeLessThanOrEqual(now);
    expect(actors).toContain(e.actor);
  }
  const times = entries.map((e) => Date.parse(e.createdAt));
  expect(times).toEqual([...times].sort((a, b) => b - a));
}

/** The id of the app's first API key (the one newApp made). */
async function firstKeyId(appId: string): Promise<string> {
  const keys = await call<{ data: { id: string }[] }>("GET", `/v1/apps/${appId}/api-keys`);
  const id = keys.body.data[0]?.id;
  if (!id) throw new Error("the app has no API key");
  return id;
}

/** Makes a delivery dead through the dead-letter queue's consumer (as after consumer crashes). */
async function deadDelivery(appId: string, endpointId: string): Promise<string> {
  const [task] = await seedDeliveries(appId, [endpointId]);
  if (!task) throw new Error("no delivery seeded");
  const batch = createMessageBatch("hooklane-dlq", [
    { id: "d0", timestamp: new Date(), attempts: 1, body: task },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  expect((await getQueueResult(batch, ctx)).ackAll).toBe(true);
  expect(await deliveryRow(task.deliveryId)).toMatchObject({ status: "dead" });
  return task.deliveryId;
}

describe("audit log", () => {
  it("records every management change with its actor and time, newest first", async () => {
    const since = Date.now();
    const { appId, key } = await newApp();
    const keyId = await firstKeyId(appId);
    await call("POST", `/v1/apps/${appId}/event-types`, {
      token: key,
      body: { name: "order.created" },
    });
    await call("PATCH", `/v1/apps/${appId}/event-types/order.created`, {
      token: key,
      body: { description: "x" },
    });
    const ep = await newEndpoint(appId);
    await call("PATCH", `/v1/apps/${appId}/endpoints/${ep.id}`, {
      token: key,
      body: { description: "d" },
    });
    await call("POST", `/v1/apps/${appId}/auth-profiles/${ep.authProfileId}/rotate`, {
      token: key,
    });
    await call("POST", `/v1/apps/${appId}/auth-profiles/${ep.authProfileId}/reveal`, {
      token: key,
    });
    await call("POST", `/v1/apps/${appId}/endpoints/${ep.id}/recover`, {
      token: key,
      body: { since: new Date(0).toISOString() },
    });
    await call("POST", `/v1/apps/${appId}/dead-letters/replay`, { token: key, body: {} });
    await call("DELETE", `/v1/apps/${appId}/endpoints/${ep.id}`, { token: key });
    await call("DELETE", `/v1/apps/${appId}/event-types/order.created`, { token: key });

    const entries = await trail(appId);
    expect(lines(entries)).toEqual([
      `${keyId} delete event_type order.created`,
      `${keyId} delete endpoint ${ep.id}`,
      `${keyId} replay dead_letter -`,
      `${keyId} recover endpoint ${ep.id}`,
      `${keyId} reveal auth_profile ${ep.authProfileId}`,
      `${keyId} rotate auth_profile ${ep.authProfileId}`,
      `${keyId} update endpoint ${ep.id}`,
      `admin create endpoint ${ep.id}`,
      `${keyId} update event_type order.created`,
      `${keyId} create event_type order.created`,
      `admin create api_key ${keyId}`,
      `admin create app ${appId}`,
    ]);
    expectSane(entries, since, ["admin", keyId]);
  });

  it("records an app update, and keeps the trail (who deleted it included) readable after a delete", async () => {
    const since = Date.now();
    const { appId } = await newApp();
    const keyId = await firstKeyId(appId);
    expect((await call("PATCH", `/v1/apps/${appId}`, { body: { name: "renamed" } })).status).toBe(
      200,
    );
    const entries = await trail(appId);
    expect(lines(entries)).toEqual([
      `admin update app ${appId}`,
      `admin create api_key ${keyId}`,
      `admin create app ${appId}`,
    ]);
    expect(entries[0]?.detail).toEqual({ fields: ["name"] });
    expectSane(entries, since, ["admin"]);

    expect((await call("DELETE", `/v1/apps/${appId}`)).status).toBe(204);
    // The rows outlive the app in D1, newest first: the last one says the admin deleted it...
    const { results } = await env.DB.prepare(
      "SELECT actor, action, resource_type, resource_id, created_at FROM audit_log WHERE app_id = ? ORDER BY id DESC",
    )
      .bind(appId)
      .all<{ actor: string; action: string; resource_type: string; created_at: number }>();
    expect(results.map((r) => `${r.actor} ${r.action} ${r.resource_type}`)).toEqual([
      "admin delete app",
      "admin update app",
      "admin create api_key",
      "admin create app",
    ]);
    for (const r of results) {
      expect(r.created_at).toBeGreaterThanOrEqual(since);
      expect(r.created_at).toBeLessThanOrEqual(Date.now());
    }
    // ...and the operator can still read it through the API; nothing else of the app answers.
    const after = await trail(appId);
    expect(lines(after)[0]).toBe(`admin delete app ${appId}`);
    expect(after).toHaveLength(4);
    expectProblem(await call("GET", `/v1/apps/${appId}`), 404);
    expectProblem(await call("GET", `/v1/apps/${appId}/endpoints`), 404);
    // An id that never had a trail is still unknown.
    expectProblem(await call("GET", "/v1/apps/app_01NEVER0EXISTED000000000000/audit"), 404);
  });

  it("records an API key's revocation by the admin, and nothing for a key that is not there", async () => {
    const since = Date.now();
    const { appId } = await newApp();
    const made = await call<{ id: string }>("POST", `/v1/apps/${appId}/api-keys`, { body: {} });
    expect((await call("DELETE", `/v1/apps/${appId}/api-keys/${made.body.id}`)).status).toBe(204);
    expectProblem(await call("DELETE", `/v1/apps/${appId}/api-keys/${made.body.id}`), 404);
    const entries = await trail(appId);
    expect(lines(entries).slice(0, 2)).toEqual([
      `admin delete api_key ${made.body.id}`,
      `admin create api_key ${made.body.id}`,
    ]);
    expect(entries).toHaveLength(4);
    expectSane(entries, since, ["admin"]);
  });

  it("records an auth profile's rename and delete with the acting key", async () => {
    const since = Date.now();
    const { appId, key } = await newApp();
    const keyId = await firstKeyId(appId);
    const base = `/v1/apps/${appId}/auth-profiles`;
    const made = await call<{ id: string }>("POST", base, { token: key, body: { name: "a" } });
    const path = `${base}/${made.body.id}`;
    expect((await call("PATCH", path, { token: key, body: { name: "b" } })).status).toBe(200);
    expect((await call("DELETE", path, { token: key })).status).toBe(204);
    // Refused changes leave no trace.
    expectProblem(await call("PATCH", path, { token: key, body: { name: "c" } }), 404);
    expectProblem(await call("DELETE", path, { token: key }), 404);
    const entries = await trail(appId, key);
    expect(lines(entries)).toEqual([
      `${keyId} delete auth_profile ${made.body.id}`,
      `${keyId} update auth_profile ${made.body.id}`,
      `${keyId} create auth_profile ${made.body.id}`,
      `admin create api_key ${keyId}`,
      `admin create app ${appId}`,
    ]);
    expect(entries[1]?.detail).toEqual({ fields: ["name"] });
    expectSane(entries, since, ["admin", keyId]);
  });

  it("records a single dead-letter replay that restarted the delivery", async () => {
    spyOnDeliveries({ stub: true });
    const since = Date.now();
    const { appId, key } = await newApp();
    const keyId = await firstKeyId(appId);
    const ep = await newEndpoint(appId);
    const deliveryId = await deadDelivery(appId, ep.id);
    const res = await call("POST", `/v1/apps/${appId}/dead-letters/${deliveryId}/replay`, {
      token: key,
    });
    expect(res.body).toEqual({ restarted: 1, more: false });
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: "pending" });
    const [entry] = await trail(appId);
    expect(entry).toMatchObject({
      actor: keyId,
      action: "replay",
      resourceType: "dead_letter",
      resourceId: deliveryId,
      detail: { restarted: 1 },
    });
    expectSane(entry ? [entry] : [], since, [keyId]);
  });

  it("records a bulk replay and a recover with how many deliveries they restarted", async () => {
    spyOnDeliveries({ stub: true });
    const since = Date.now();
    const { appId, key } = await newApp();
    const keyId = await firstKeyId(appId);
    const replayed = await newEndpoint(appId);
    const recovered = await newEndpoint(appId);
    const first = await deadDelivery(appId, replayed.id);
    const replay = await call("POST", `/v1/apps/${appId}/dead-letters/replay`, {
      token: key,
      body: { endpointId: replayed.id },
    });
    expect(replay.body).toEqual({ restarted: 1, more: false, replayId: expect.any(String) });
    const second = await deadDelivery(appId, recovered.id);
    const from = new Date(since - 60_000).toISOString();
    const recover = await call("POST", `/v1/apps/${appId}/endpoints/${recovered.id}/recover`, {
      token: key,
      body: { since: from },
    });
    expect(recover.body).toEqual({ restarted: 1, more: false });
    for (const id of [first, second]) {
      expect(await deliveryRow(id)).toMatchObject({ status: "pending" });
    }
    const entries = await trail(appId);
    expect(entries.slice(0, 2)).toMatchObject([
      {
        actor: keyId,
        action: "recover",
        resourceType: "endpoint",
        resourceId: recovered.id,
        detail: { since: from, restarted: 1 },
      },
      {
        actor: keyId,
        action: "replay",
        resourceType: "dead_letter",
        detail: { endpointId: replayed.id, limit: 100, restarted: 1 },
      },
    ]);
    expect(entries[1]).not.toHaveProperty("resourceId");
    expectSane(entries, since, ["admin", keyId]);
  });

  it("never carries secrets", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    await call("POST", `/v1/apps/${appId}/auth-profiles/${ep.authProfileId}/reveal`);
    const res = await call("GET", `/v1/apps/${appId}/audit`);
    expect(JSON.stringify(res.body)).not.toContain(ep.secret);
    expect(JSON.stringify(res.body)).not.toContain("whsec_");
  });

  it("answers 404 for another app's trail", async () => {
    const a = await newApp();
    const b = await newApp();
    const res = await call("GET", `/v1/apps/${b.appId}/audit`, { token: a.key });
    expect(res.status).toBe(404);
  });

  describe("written in the same transaction as the change", () => {
    /** Makes every audit insert fail (no such table), as a D1 error mid-batch would. */
    function breakAuditWrites(): { restore: () => void } {
      const prepare = env.DB.prepare.bind(env.DB);
      const spy = vi
        .spyOn(env.DB, "prepare")
        .mockImplementation((sql: string) =>
          prepare(sql.replace("INSERT INTO audit_log ", "INSERT INTO audit_log_unwritable ")),
        );
      return { restore: () => spy.mockRestore() };
    }

    /** Calls with audit writes broken: the change must fail as a whole. */
    async function failsWithoutAudit(method: string, path: string, token?: string, body?: unknown) {
      const broken = breakAuditWrites();
      vi.spyOn(console, "error").mockImplementation(() => {});
      try {
        expectProblem(await call(method, path, { token, body }), 500);
      } finally {
        broken.restore();
      }
    }

    it("does not rename or delete an app whose audit entry cannot be written", async () => {
      const { appId } = await newApp("kept");
      await failsWithoutAudit("PATCH", `/v1/apps/${appId}`, undefined, { name: "renamed" });
      await failsWithoutAudit("DELETE", `/v1/apps/${appId}`);
      const app = await call<{ name: string }>("GET", `/v1/apps/${appId}`);
      expect(app.status).toBe(200);
      expect(app.body.name).toBe("kept");
      expect(lines(await trail(appId)).map((l) => l.split(" ").slice(1, 3).join(" "))).toEqual([
        "create api_key",
        "create app",
      ]);
    });

    it("does not revoke an API key whose audit entry cannot be written", async () => {
      const { appId, key } = await newApp();
      const keyId = await firstKeyId(appId);
      await failsWithoutAudit("DELETE", `/v1/apps/${appId}/api-keys/${keyId}`);
      expect((await call("GET", `/v1/apps/${appId}/audit`, { token: key })).status).toBe(200);
    });

    it("does not update or delete an event type whose audit entry cannot be written", async () => {
      const { appId } = await newApp();
      const path = `/v1/apps/${appId}/event-types/order.created`;
      await call("POST", `/v1/apps/${appId}/event-types`, {
        body: { name: "order.created", description: "old" },
      });
      await failsWithoutAudit("PATCH", path, undefined, { description: "new" });
      await failsWithoutAudit("DELETE", path);
      const got = await call<{ description: string }>("GET", path);
      expect(got.status).toBe(200);
      expect(got.body.description).toBe("old");
    });

    it("does not rename or delete an auth profile whose audit entry cannot be written", async () => {
      const { appId } = await newApp();
      const made = await call<{ id: string }>("POST", `/v1/apps/${appId}/auth-profiles`, {
        body: { name: "old" },
      });
      const path = `/v1/apps/${appId}/auth-profiles/${made.body.id}`;
      await failsWithoutAudit("PATCH", path, undefined, { name: "new" });
      await failsWithoutAudit("DELETE", path);
      const got = await call<{ name: string }>("GET", path);
      expect(got.status).toBe(200);
      expect(got.body.name).toBe("old");
    });
  });
});
