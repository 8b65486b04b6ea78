import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sweep } from "../../src/sweeper/sweep";
import { receiver, runConsumer, seedDeliveries } from "../delivery/fixtures";
import { call, newApp, newEndpoint } from "../helpers";

/** Runs the sweeper until every background purge (deleted apps and endpoints) is done. */
async function purgeAll() {
  for (let i = 0; i < 10; i++) {
    const left = await env.DB.prepare("SELECT COUNT(*) AS n FROM purge_jobs").first<{
      n: number;
    }>();
    if (left?.n === 0) return;
    await sweep(env);
  }
  throw new Error("purge jobs left after 10 sweeps");
}

import {
  type AppBody,
  allPages,
  attemptCountFor,
  countFor,
  expectProblem,
  type Page,
  spyOnDeliveries,
} from "./support";

const uid = (label: string) => `${label}-${crypto.randomUUID()}`;

describe("POST /v1/apps", () => {
  it("creates an app with a prefixed id, its name, uid and creation time", async () => {
    const wanted = uid("acme");
    const res = await call<AppBody>("POST", "/v1/apps", { body: { name: "Acme", uid: wanted } });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^app_[0-9A-Z]{26}$/),
      name: "Acme",
      uid: wanted,
      shard: 0,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    const row = await env.DB.prepare("SELECT name, uid FROM apps WHERE id = ?")
      .bind(res.body.id)
      .first();
    expect(row).toEqual({ name: "Acme", uid: wanted });
  });

  it("answers 409 for a uid another app already has", async () => {
    const taken = uid("dup");
    expect((await call("POST", "/v1/apps", { body: { name: "one", uid: taken } })).status).toBe(
      201,
    );
    const res = await call("POST", "/v1/apps", { body: { name: "two", uid: taken } });
    expectProblem(res, 409);
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM apps WHERE uid = ?")
      .bind(taken)
      .first<{ n: number }>();
    expect(row?.n).toBe(1);
  });

  it.each([
    { why: "no name", body: {}, field: "name" },
    { why: "a blank name", body: { name: "   " }, field: "name" },
    { why: "a name over 200 chars", body: { name: "x".repeat(201) }, field: "name" },
    { why: "a uid with spaces", body: { name: "a", uid: "has space" }, field: "uid" },
    { why: "an unknown field", body: { name: "a", plan: "pro" }, field: "json" },
  ])("refuses $why with 422 naming the field", async ({ body, field }) => {
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM apps").first<{ n: number }>();
    expectProblem(await call("POST", "/v1/apps", { body }), 422, field);
    const after = await env.DB.prepare("SELECT COUNT(*) AS n FROM apps").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });
});

describe("GET /v1/apps and /v1/apps/{appId}", () => {
  it("gets one app by id", async () => {
    const { appId } = await newApp("Getter");
    const res = await call<AppBody>("GET", `/v1/apps/${appId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: appId, name: "Getter" });
    expect(res.body).not.toHaveProperty("uid");
  });

  it("answers 404 for an app that does not exist", async () => {
    expectProblem(await call("GET", "/v1/apps/app_00000000000000000000000000"), 404);
  });

  it("answers 404 for a malformed app id (access is checked before the id's shape)", async () => {
    expectProblem(await call("GET", `/v1/apps/${"x".repeat(65)}`), 404);
  });

  it("pages through every app newest first, each seen once, ending with a null cursor", async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await newApp(`paged-${i}`)).appId);
    const { items, pages } = await allPages<AppBody>(
      (q) => call<Page<AppBody>>("GET", `/v1/apps${q}`),
      2,
    );
    const ids = items.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of made) expect(ids.filter((x) => x === id)).toHaveLength(1);
    // Newest first: the five appear in reverse creation order.
    expect(ids.filter((id) => made.includes(id))).toEqual([...made].reverse());
    expect(pages.at(-1)?.nextCursor).toBeNull();
    expect(pages.slice(0, -1).every((p) => p.data.length === 2 && p.nextCursor !== null)).toBe(
      true,
    );
  });

  it.each([
    { query: "?limit=0", field: "limit" },
    { query: "?limit=251", field: "limit" },
    { query: "?limit=two", field: "limit" },
    { query: "?cursor=not-a-cursor!", field: "cursor" },
  ])("answers 400 for $query", async ({ query, field }) => {
    expectProblem(await call("GET", `/v1/apps${query}`), 400, field);
  });
});

describe("PATCH /v1/apps/{appId}", () => {
  it("renames an app and sets, then clears, its uid", async () => {
    const { appId } = await newApp("Before");
    const wanted = uid("patched");
    const renamed = await call<AppBody>("PATCH", `/v1/apps/${appId}`, {
      body: { name: "After", uid: wanted },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: appId, name: "After", uid: wanted });
    const cleared = await call<AppBody>("PATCH", `/v1/apps/${appId}`, { body: { uid: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body.name).toBe("After");
    expect(cleared.body).not.toHaveProperty("uid");
  });

  it("answers 409 when taking another app's uid, and changes nothing", async () => {
    const taken = uid("owner");
    await call("POST", "/v1/apps", { body: { name: "owner", uid: taken } });
    const { appId } = await newApp("thief");
    expectProblem(await call("PATCH", `/v1/apps/${appId}`, { body: { uid: taken } }), 409);
    const res = await call<AppBody>("GET", `/v1/apps/${appId}`);
    expect(res.body).not.toHaveProperty("uid");
  });

  it("answers 404 for an app that does not exist", async () => {
    expectProblem(
      await call("PATCH", "/v1/apps/app_00000000000000000000000000", { body: { name: "x" } }),
      404,
    );
  });

  it("answers 422 for an empty name", async () => {
    const { appId } = await newApp();
    expectProblem(await call("PATCH", `/v1/apps/${appId}`, { body: { name: "" } }), 422, "name");
  });
});

describe("DELETE /v1/apps/{appId}", () => {
  it("deletes an app with everything in it", async () => {
    spyOnDeliveries({ stub: true });
    const { appId, key } = await newApp("doomed");
    await newEndpoint(appId);
    await newEndpoint(appId, { url: "https://fifo.example.com/hook", ordering: "fifo" });
    const msg = await call("POST", `/v1/apps/${appId}/messages`, {
      token: key,
      body: { eventType: "invoice.paid", payload: {} },
      headers: { "idempotency-key": "doomed-1" },
    });
    expect(msg.status).toBe(202);
    expect(await countFor("idempotency_keys", appId)).toBe(1);
    expect(await countFor("open_deliveries", appId)).toBe(1);
    const res = await call("DELETE", `/v1/apps/${appId}`);
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expectProblem(await call("GET", `/v1/apps/${appId}`), 404);
    // At once: what the app is configured with.
    for (const table of ["api_keys", "endpoints", "auth_profiles", "event_types"]) {
      expect(await countFor(table, appId)).toBe(0);
    }
    // In the background: what grew with its traffic.
    expect(await countFor("messages", appId)).toBe(1);
    await purgeAll();
    for (const table of ["messages", "open_deliveries", "idempotency_keys"]) {
      expect(await countFor(table, appId)).toBe(0);
    }
    expect(await env.DB.prepare("SELECT id FROM apps WHERE id = ?").bind(appId).first()).toBeNull();
  });

  it("removes the app's messages, deliveries, attempts and dead letters, and no other app's", async () => {
    // Each app: one message to three endpoints, delivered by the real consumer; one receiver
    // answers 200, one 410 Gone (dead at once), one 500 (failed, its open row waits for a retry):
    // three attempts, one dead letter and one open row per app.
    receiver(
      (req) =>
        new Response("", {
          status: req.url.includes("gone.") ? 410 : req.url.includes("flaky.") ? 500 : 200,
        }),
    );
    const deliver = async (name: string) => {
      const { appId } = await newApp(name);
      const ok = await newEndpoint(appId, { url: "https://ok.example.com/hook" });
      const gone = await newEndpoint(appId, { url: "https://gone.example.com/hook" });
      const flaky = await newEndpoint(appId, { url: "https://flaky.example.com/hook" });
      const tasks = await seedDeliveries(appId, [ok.id, gone.id, flaky.id]);
      // A retry far away: nothing moves while the test looks.
      await runConsumer(tasks, { RETRY_SCHEDULE: "3600" });
      return { appId, messageId: tasks[0]?.messageId ?? "" };
    };
    const doomed = await deliver("doomed");
    const kept = await deliver("kept");
    const counts = async (appId: string) => ({
      messages: await countFor("messages", appId),
      open: await countFor("open_deliveries", appId),
      attempts: await attemptCountFor(appId),
      dead_letters: await countFor("dead_letters", appId),
    });
    const filled = { messages: 1, open: 1, attempts: 3, dead_letters: 1 };
    expect(await counts(doomed.appId)).toEqual(filled);
    expect(await counts(kept.appId)).toEqual(filled);

    expect((await call("DELETE", `/v1/apps/${doomed.appId}`)).status).toBe(204);
    await purgeAll();

    expect(await counts(doomed.appId)).toEqual({
      messages: 0,
      open: 0,
      attempts: 0,
      dead_letters: 0,
    });
    expect(await countFor("attempt_log", doomed.appId)).toBe(0);
    expect(await counts(kept.appId)).toEqual(filled);
    const message = await call<{ deliveries: { status: string }[] }>(
      "GET",
      `/v1/apps/${kept.appId}/messages/${kept.messageId}`,
    );
    expect(message.status).toBe(200);
    expect(message.body.deliveries.map((d) => d.status).sort()).toEqual([
      "dead",
      "failed",
      "succeeded",
    ]);
    const attempts = await call<Page<{ messageId: string }>>(
      "GET",
      `/v1/apps/${kept.appId}/messages/${kept.messageId}/attempts`,
    );
    expect(attempts.body.data).toHaveLength(3);
  });

  it("revokes the app's keys at once, even one this isolate has cached", async () => {
    const { appId, key } = await newApp("cached");
    expect((await call("GET", `/v1/apps/${appId}/endpoints`, { token: key })).status).toBe(200);
    expect((await call("DELETE", `/v1/apps/${appId}`)).status).toBe(204);
    expectProblem(await call("GET", `/v1/apps/${appId}/endpoints`, { token: key }), 401);
    expectProblem(
      await call("POST", `/v1/apps/${appId}/messages`, {
        token: key,
        body: { eventType: "a.b", payload: {} },
      }),
      401,
    );
  });

  it("answers 404 the second time", async () => {
    const { appId } = await newApp();
    expect((await call("DELETE", `/v1/apps/${appId}`)).status).toBe(204);
    expectProblem(await call("DELETE", `/v1/apps/${appId}`), 404);
  });
});
