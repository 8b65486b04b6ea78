import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { settings } from "../../src/config";
import { finishMove } from "../../src/db/directory";
import { APP_TABLES, copyChunk } from "../../src/db/move";
import worker from "../../src/index";
import type { QueueTask } from "../../src/schemas/queue";
import { advanceMoves, moveFenceMs } from "../../src/sweeper/moves";
import { sweep } from "../../src/sweeper/sweep";
import { ADMIN } from "../helpers";
import type { AppBody, EndpointBody, MessageBody, Page } from "./support";

/** Two D1 shards: this runtime's second real database bound as `DB_1` (vitest.config.ts). */
const two = { ...env, DB_1: env.TEST_DB_B } as Env;
const FENCE_MS = moveFenceMs(settings(two));

async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  opts: { token?: string; headers?: Record<string, string> } = {},
) {
  const res = await worker.fetch(
    new Request(`https://hooklane.test${path}`, {
      method,
      headers: {
        authorization: `Bearer ${opts.token ?? ADMIN}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...opts.headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    }),
    two,
    createExecutionContext(),
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
}

/** The queue tasks ingest sends, kept off the real queue. */
function holdQueue(): QueueTask[] {
  const sent: QueueTask[] = [];
  vi.spyOn(env.DELIVERIES, "sendBatch").mockImplementation(async (messages) => {
    for (const m of messages) sent.push(m.body as QueueTask);
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
  });
  return sent;
}

async function consume(tasks: QueueTask[]) {
  const batch = createMessageBatch(
    "hooklane-deliveries",
    tasks.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, two);
  return getQueueResult(batch, ctx);
}

/** Rows of an app in each table of one shard. */
async function rowCounts(db: D1Database, appId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of APP_TABLES) {
    const row = await db
      .prepare(`SELECT COUNT(*) AS n FROM ${t.from}`)
      .bind(appId)
      .first<{ n: number }>();
    out[t.name] = row?.n ?? 0;
  }
  return out;
}

async function directory(appId: string) {
  return env.DB.prepare("SELECT shard, moving_to, moving_since FROM app_directory WHERE app_id = ?")
    .bind(appId)
    .first<{ shard: number; moving_to: number | null; moving_since: number }>();
}

describe("moving an app to another shard", () => {
  it("copies the app with its history, switches it over, and retires the old copy", async () => {
    const app = (await call<AppBody>("POST", "/v1/apps", { name: "mover", shard: 0 })).body;
    const key = (await call<{ token: string }>("POST", `/v1/apps/${app.id}/api-keys`, {})).body
      .token;
    const ep = (
      await call<EndpointBody>("POST", `/v1/apps/${app.id}/endpoints`, {
        url: "https://receiver.example.com/move",
      })
    ).body;
    const sent = holdQueue();
    const received: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_url, init) => {
      received.push(String(init?.body));
      return new Response("ok");
    });
    const ingested: string[] = [];
    // Two rounds: a new endpoint's gate lets 5 out until it has proved itself.
    for (const round of [5, 7]) {
      for (let i = 0; i < round; i++) {
        const n = ingested.length;
        const res = await call<MessageBody>(
          "POST",
          `/v1/apps/${app.id}/messages`,
          `{"eventType":"order.paid","payload":{"n":${n},"big":12345678901234567890123}}`,
          { headers: { "idempotency-key": `before-${n}` } },
        );
        expect(res.status).toBe(202);
        ingested.push(res.body.id);
      }
      await consume(sent.splice(0));
    }
    expect(received).toHaveLength(12);
    const before = await rowCounts(env.DB, app.id);
    expect(before.messages).toBe(12);
    expect(before.attempt_log).toBeGreaterThan(0);

    // The move starts: a fence first, nothing copied yet.
    const started = await call<{ state: string; to: number; moving: boolean }>(
      "POST",
      `/v1/apps/${app.id}/move`,
      { shard: 1 },
    );
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ moving: true, to: 1, state: "fencing", shard: 0 });
    const marked = await directory(app.id);
    expect(marked?.moving_to).toBe(1);

    // Meanwhile ingest and changes answer 503 with Retry-After; reads still work.
    const refused = await call("POST", `/v1/apps/${app.id}/messages`, {
      eventType: "order.paid",
      payload: { n: 99 },
    });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(
      (await call("POST", `/v1/apps/${app.id}/endpoints`, { url: "https://x.example.com/" }))
        .status,
    ).toBe(503);
    expect((await call("GET", `/v1/apps/${app.id}/messages/${ingested[0]}`)).status).toBe(200);
    expect((await call("POST", `/v1/apps/${app.id}/move`, { shard: 1 })).status).toBe(409);

    // A delivery of the moving app is handed back to the queue, not sent.
    const requeued: QueueTask[] = [];
    vi.spyOn(env.DELIVERIES, "sendBatch").mockImplementation(async (messages) => {
      for (const m of messages) requeued.push(m.body as QueueTask);
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
    });
    const wakeTask: QueueTask = { kind: "wake", endpointId: ep.id, appId: app.id };
    const held = await consume([wakeTask]);
    expect(held.explicitAcks).toEqual(["m0"]);
    expect(requeued).toEqual([wakeTask]);
    expect(received).toHaveLength(12);

    // Inside the fence, a sweep copies nothing.
    const at = marked?.moving_since ?? Date.now();
    expect((await sweep(two, at + FENCE_MS - 1000)).moved).toBe(0);
    expect((await rowCounts(env.TEST_DB_B, app.id)).apps).toBe(0);

    // After it, the copy runs and the app switches over.
    expect((await sweep(two, at + FENCE_MS + 1000)).moved).toBe(1);
    expect(await directory(app.id)).toMatchObject({ shard: 1, moving_to: null });
    const after = await rowCounts(env.TEST_DB_B, app.id);
    expect(after).toEqual(before);
    const status = await call<{ shard: number; moving: boolean }>("GET", `/v1/apps/${app.id}/move`);
    expect(status.body).toEqual({ appId: app.id, shard: 1, moving: false });

    // Everything reads from the new shard: the message with its exact payload, its attempts.
    const msg = await call<MessageBody>("GET", `/v1/apps/${app.id}/messages/${ingested[0]}`);
    expect(msg.status).toBe(200);
    const raw = await worker.fetch(
      new Request(`https://hooklane.test/v1/apps/${app.id}/messages/${ingested[0]}`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      }),
      two,
      createExecutionContext(),
    );
    expect(await raw.text()).toContain('"big":12345678901234567890123');
    const attempts = await call<Page<{ statusCode: number }>>(
      "GET",
      `/v1/apps/${app.id}/messages/${ingested[0]}/attempts`,
    );
    expect(attempts.body.data.map((a) => a.statusCode)).toEqual([200]);

    // The app's key still opens it; an idempotency key from before the move still answers
    // with the first message; a new message lands on the new shard.
    const again = await call<MessageBody>(
      "POST",
      `/v1/apps/${app.id}/messages`,
      '{"eventType":"order.paid","payload":{"n":0}}',
      { token: key, headers: { "idempotency-key": "before-0" } },
    );
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(ingested[0]);
    const fresh = await call<MessageBody>(
      "POST",
      `/v1/apps/${app.id}/messages`,
      { eventType: "order.paid", payload: { n: 100 } },
      { token: key },
    );
    expect(fresh.status).toBe(202);
    const onNew = await env.TEST_DB_B.prepare("SELECT 1 AS x FROM messages WHERE id = ?")
      .bind(fresh.body.id)
      .first();
    expect(onNew).not.toBeNull();

    // The old copy is retired: gone for the API at once, purged by the next sweeps.
    const oldApp = await env.DB.prepare("SELECT deleted_at FROM apps WHERE id = ?")
      .bind(app.id)
      .first<{ deleted_at: number | null }>();
    expect(oldApp?.deleted_at).not.toBeNull();
    await sweep(two, at + FENCE_MS + 2000);
    const left = await rowCounts(env.DB, app.id);
    expect([left.messages, left.attempt_log, left.endpoints, left.api_keys]).toEqual([0, 0, 0, 0]);
    // And the list of apps shows it once, on its new shard.
    const listed = await call<Page<AppBody & { shard: number }>>("GET", "/v1/apps?limit=250");
    expect(listed.body.data.filter((a) => a.id === app.id)).toEqual([
      expect.objectContaining({ id: app.id, shard: 1 }),
    ]);
  });

  it("refuses a move to the shard the app is on, or to one that does not exist", async () => {
    const app = (await call<AppBody>("POST", "/v1/apps", { name: "stay", shard: 1 })).body;
    expect((await call("POST", `/v1/apps/${app.id}/move`, { shard: 1 })).status).toBe(409);
    const out = await call<{ errors: { field: string }[] }>("POST", `/v1/apps/${app.id}/move`, {
      shard: 2,
    });
    expect(out.status).toBe(422);
    expect(out.body.errors.map((e) => e.field)).toEqual(["/shard"]);
    // Only the operator moves apps.
    const key = (await call<{ token: string }>("POST", `/v1/apps/${app.id}/api-keys`, {})).body
      .token;
    expect(
      (await call("POST", `/v1/apps/${app.id}/move`, { shard: 0 }, { token: key })).status,
    ).toBe(403);
  });
  it("lists a moving app once, on the shard it is read from, while it is on both", async () => {
    const app = (await call<AppBody>("POST", "/v1/apps", { name: "listed once", shard: 0 })).body;
    expect((await call("POST", `/v1/apps/${app.id}/move`, { shard: 1 })).status).toBe(202);
    const listed = async () =>
      (await call<Page<AppBody & { shard: number }>>("GET", "/v1/apps?limit=250")).body.data
        .filter((a) => a.id === app.id)
        .map((a) => a.shard);
    // The copy's first step writes the app's own row to the new shard: a live row on each.
    await copyChunk(env.DB, env.TEST_DB_B, app.id, { table: 0, after: null, copied: 0 }, 200);
    expect(await rowCounts(env.TEST_DB_B, app.id)).toMatchObject({ apps: 1 });
    expect(await listed()).toEqual([0]);
    // Switched over, the old copy not retired yet: once, on the new shard.
    await finishMove(env.DB, app.id, 1).run();
    expect(await listed()).toEqual([1]);
  });

  it("moves an app back only once its old copy there is purged", async () => {
    const app = (await call<AppBody>("POST", "/v1/apps", { name: "boomerang", shard: 0 })).body;
    holdQueue();
    const msg = await call<MessageBody>("POST", `/v1/apps/${app.id}/messages`, {
      eventType: "order.paid",
      payload: { n: 1 },
    });
    expect(msg.status).toBe(202);
    expect((await call("POST", `/v1/apps/${app.id}/move`, { shard: 1 })).status).toBe(202);
    const first = (await directory(app.id))?.moving_since ?? Date.now();
    // The move alone (a sweep would go on to purge the retired copy at once).
    expect(await advanceMoves(two, first + FENCE_MS + 1000, () => true)).toBe(1);
    expect(await directory(app.id)).toMatchObject({ shard: 1, moving_to: null });
    // Shard 0 still holds the retired copy (a deleted row and purge jobs for its data): a copy
    // back into it would be ignored row by row, then purged with it.
    expect((await call("POST", `/v1/apps/${app.id}/move`, { shard: 0 })).status).toBe(409);
    await sweep(two, first + FENCE_MS + 2000);
    expect(await rowCounts(env.DB, app.id)).toMatchObject({ apps: 0, messages: 0 });
    expect((await call("POST", `/v1/apps/${app.id}/move`, { shard: 0 })).status).toBe(202);
    const second = (await directory(app.id))?.moving_since ?? Date.now();
    await sweep(two, second + FENCE_MS + 1000);
    expect(await directory(app.id)).toMatchObject({ shard: 0, moving_to: null });
    await sweep(two, second + FENCE_MS + 2000);
    const back = await call<AppBody & { shard: number }>("GET", `/v1/apps/${app.id}`);
    expect([back.status, back.body.shard]).toEqual([200, 0]);
    expect((await call("GET", `/v1/apps/${app.id}/messages/${msg.body.id}`)).status).toBe(200);
  });
});
