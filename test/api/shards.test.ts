import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import type { QueueTask } from "../../src/schemas/queue";
import { sweep } from "../../src/sweeper/sweep";
import { ADMIN } from "../helpers";
import type { AppBody, EndpointBody, MessageBody, Page } from "./support";

/**
 * A deployment with two D1 shards: this runtime's second real database bound as `DB_1`
 * (vitest.config.ts). Everything goes through the Worker's own handlers.
 */
const two = { ...env, DB_1: env.TEST_DB_B } as Env;
const shards = [env.DB, env.TEST_DB_B];

async function call<T>(method: string, path: string, body?: unknown, token = ADMIN) {
  const res = await worker.fetch(
    new Request(`https://hooklane.test${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    }),
    two,
    createExecutionContext(),
  );
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function rowIn(db: D1Database, table: string, id: string): Promise<boolean> {
  const row = await db.prepare(`SELECT 1 AS x FROM ${table} WHERE id = ?`).bind(id).first();
  return row !== null;
}

async function newApp(name: string, shard?: number): Promise<AppBody & { shard: number }> {
  const res = await call<AppBody & { shard: number }>("POST", "/v1/apps", {
    name,
    ...(shard === undefined ? {} : { shard }),
  });
  expect(res.status).toBe(201);
  return res.body;
}

describe("apps across two shards", () => {
  it("spreads new apps over both shards, each app's row on its own shard only", async () => {
    const apps = await Promise.all(Array.from({ length: 20 }, (_, i) => newApp(`spread-${i}`)));
    const on = [0, 1].map((k) => apps.filter((a) => a.shard === k).length);
    expect(on[0]).toBeGreaterThan(0);
    expect(on[1]).toBeGreaterThan(0);
    for (const app of apps) {
      expect(await rowIn(shards[app.shard] as D1Database, "apps", app.id)).toBe(true);
      expect(await rowIn(shards[1 - app.shard] as D1Database, "apps", app.id)).toBe(false);
      // The directory, in the first database, knows where each one is.
      const entry = await env.DB.prepare("SELECT shard FROM app_directory WHERE app_id = ?")
        .bind(app.id)
        .first<{ shard: number }>();
      expect(entry?.shard).toBe(app.shard);
    }
  });

  it("pins an app to the shard the operator names, and refuses a shard that does not exist", async () => {
    const pinned = await newApp("pinned", 1);
    expect(pinned.shard).toBe(1);
    expect((await call<AppBody>("GET", `/v1/apps/${pinned.id}`)).body).toMatchObject({
      id: pinned.id,
      shard: 1,
    });
    const refused = await call<{ status: number; errors: { field: string }[] }>(
      "POST",
      "/v1/apps",
      { name: "nowhere", shard: 2 },
    );
    expect(refused.status).toBe(422);
    expect(refused.body.errors.map((e) => e.field)).toEqual(["/shard"]);
  });

  it("keeps a uid unique across shards", async () => {
    const uid = `uid-${crypto.randomUUID()}`;
    expect((await call("POST", "/v1/apps", { name: "a", uid, shard: 0 })).status).toBe(201);
    expect((await call("POST", "/v1/apps", { name: "b", uid, shard: 1 })).status).toBe(409);
  });

  it("lists apps from every shard, newest first, with cursors that walk them all once", async () => {
    const made = new Set<string>();
    for (let i = 0; i < 7; i++) made.add((await newApp(`list-${i}`, i % 2)).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const res = await call<Page<AppBody>>(
        "GET",
        `/v1/apps?limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((a) => a.id));
      if (!res.body.nextCursor) break;
      cursor = res.body.nextCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort().reverse()).toEqual(seen);
    for (const id of made) expect(seen).toContain(id);
  });

  it("keeps each app's data on its shard and answers 404 to another app's key, whatever its shard", async () => {
    const a = await newApp("iso-a", 1);
    const b = await newApp("iso-b", 0);
    const keyA = (await call<{ token: string }>("POST", `/v1/apps/${a.id}/api-keys`, {})).body
      .token;
    const ep = await call<EndpointBody>("POST", `/v1/apps/${a.id}/endpoints`, {
      url: "https://receiver.example.com/a",
    });
    expect(ep.status).toBe(201);
    expect(await rowIn(env.TEST_DB_B, "endpoints", ep.body.id)).toBe(true);
    expect(await rowIn(env.DB, "endpoints", ep.body.id)).toBe(false);
    // A's key opens A (on shard 1) and nothing of B (on shard 0), not even B's existence.
    expect((await call("GET", `/v1/apps/${a.id}/endpoints`, undefined, keyA)).status).toBe(200);
    expect((await call("GET", `/v1/apps/${b.id}/endpoints`, undefined, keyA)).status).toBe(404);
    expect(
      (await call("GET", `/v1/apps/${b.id}/endpoints/${ep.body.id}`, undefined, keyA)).status,
    ).toBe(404);
    // B's admin view does not reach A's endpoint through B's path either.
    expect((await call("GET", `/v1/apps/${b.id}/endpoints/${ep.body.id}`)).status).toBe(404);
    // A revoked key stops at the directory.
    const keys = await call<Page<{ id: string }>>("GET", `/v1/apps/${a.id}/api-keys`);
    const keyId = keys.body.data[0]?.id ?? "";
    expect((await call("DELETE", `/v1/apps/${a.id}/api-keys/${keyId}`)).status).toBe(204);
    expect((await call("GET", `/v1/apps/${a.id}/endpoints`, undefined, keyA)).status).toBe(401);
  });

  it("accepts, delivers and logs a message on the app's own shard", async () => {
    const app = await newApp("flow", 1);
    const ep = await call<EndpointBody>("POST", `/v1/apps/${app.id}/endpoints`, {
      url: "https://receiver.example.com/flow",
    });
    expect(ep.status).toBe(201);
    const sent: QueueTask[] = [];
    vi.spyOn(env.DELIVERIES, "sendBatch").mockImplementation(async (messages) => {
      for (const m of messages) sent.push(m.body as QueueTask);
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
    });
    // Raw text: a JS number literal could not hold this integer.
    const msg = await call<MessageBody>(
      "POST",
      `/v1/apps/${app.id}/messages`,
      '{"eventType":"order.paid","payload":{"big":12345678901234567890123}}',
    );
    expect(msg.status).toBe(202);
    expect(await rowIn(env.TEST_DB_B, "messages", msg.body.id)).toBe(true);
    expect(await rowIn(env.DB, "messages", msg.body.id)).toBe(false);
    expect(sent).toHaveLength(1);

    const bodies: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_url, init) => {
      bodies.push(String(init?.body));
      return new Response("ok");
    });
    const batch = createMessageBatch(
      "hooklane-deliveries",
      sent.map((body, i) => ({ id: `s${i}`, timestamp: new Date(), attempts: 1, body })),
    );
    const ctx = createExecutionContext();
    await worker.queue(batch, two);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["s0"]);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain('"data":{"big":12345678901234567890123}');

    const attempts = await call<Page<{ statusCode: number }>>(
      "GET",
      `/v1/apps/${app.id}/messages/${msg.body.id}/attempts`,
    );
    expect(attempts.body.data.map((a) => a.statusCode)).toEqual([200]);
    const logged = await env.TEST_DB_B.prepare(
      "SELECT COUNT(*) AS n FROM attempt_log WHERE app_id = ?",
    )
      .bind(app.id)
      .first<{ n: number }>();
    expect(logged?.n).toBe(1);
    const onFirst = await env.DB.prepare("SELECT COUNT(*) AS n FROM attempt_log WHERE app_id = ?")
      .bind(app.id)
      .first<{ n: number }>();
    expect(onFirst?.n).toBe(0);
  });

  it("sweeps every shard and reports health over all of them", async () => {
    await sweep(two);
    for (const db of shards) {
      const state = await db.prepare("SELECT swept_at FROM sweeper_state").first();
      expect(state).not.toBeNull();
    }
    const health = await worker.fetch(
      new Request("https://hooklane.test/healthz"),
      two,
      createExecutionContext(),
    );
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, status: "ok", reasons: [] });
  });
});
