import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { idFloor, newId } from "../../src/lib/ids";
import { sweep } from "../../src/sweeper/sweep";
import { seedDeliveries } from "../delivery/fixtures";
import { call, newApp, newEndpoint } from "../helpers";

/** Rows of an app in the tables that grow with its traffic. */
async function rowsOf(appId: string) {
  return env.DB.prepare(
    `SELECT (SELECT COUNT(*) FROM messages WHERE app_id = ?1) AS messages,
            (SELECT COUNT(*) FROM attempt_log WHERE app_id = ?1) AS log,
            (SELECT COUNT(*) FROM dead_letters WHERE app_id = ?1) AS letters,
            (SELECT COUNT(*) FROM idempotency_keys WHERE app_id = ?1) AS keys,
            (SELECT COUNT(*) FROM open_deliveries WHERE app_id = ?1) AS open,
            (SELECT COUNT(*) FROM apps WHERE id = ?1) AS app`,
  )
    .bind(appId)
    .first<Record<string, number>>();
}

/** Writes `n` messages, log rows, dead letters, keys and open rows for an app in a few statements. */
async function bulk(appId: string, endpointId: string, n: number) {
  const at = Date.now() - 60_000;
  const floor = idFloor("msg", at);
  const seq = `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?3)`;
  const id = `?2 || printf('%016d', i)`;
  await env.DB.batch([
    env.DB.prepare(
      `${seq} INSERT INTO messages (app_id, id, event_type, payload, endpoints, idempotency_key)
       SELECT ?1, ${id}, 'order.created', '{"n":1}', json_array(substr(?4, 4)), 'k' || i FROM s`,
    ).bind(appId, floor, n, endpointId),
    env.DB.prepare(
      `${seq} INSERT INTO idempotency_keys (app_id, key, message_id) SELECT ?1, 'k' || i, ${id} FROM s`,
    ).bind(appId, floor, n),
    env.DB.prepare(
      `${seq} INSERT INTO attempt_log (app_id, bucket, id, endpoint_id, entries)
       SELECT ?1, substr(${id}, 1, 12), 'att_' || printf('%026d', i), ?4, '[]' FROM s`,
    ).bind(appId, floor, n, endpointId),
    env.DB.prepare(
      `${seq} INSERT INTO dead_letters (app_id, message_id, endpoint_id, reason, attempts, dead_at)
       SELECT ?1, ${id}, ?4, 'exhausted', 4, ?5 FROM s`,
    ).bind(appId, floor, n, endpointId, at),
    env.DB.prepare(
      `${seq} INSERT INTO open_deliveries (endpoint_id, message_id, app_id, state, due_at, created_at)
       SELECT ?4, ${id}, ?1, 'waiting', ?5 + 86400000, ?5 FROM s`,
    ).bind(appId, floor, n, endpointId, at),
  ]);
  /** The id of the i-th message written. */
  return (i: number) => `${floor}${String(i).padStart(16, "0")}`;
}

describe("deletes in the background", () => {
  it("an app with 20,000 rows in each table deletes at once and is purged in chunks by the sweeper", async () => {
    const { appId } = await newApp("big");
    const ep = await newEndpoint(appId, { url: "https://purge.example.com/hook" });
    await bulk(appId, ep.id, 20_000);
    const other = await newApp("neighbour");
    const otherEp = await newEndpoint(other.appId, { url: "https://purge.example.com/other" });
    await seedDeliveries(other.appId, [otherEp.id]);
    const before = await rowsOf(other.appId);

    const started = Date.now();
    const res = await call("DELETE", `/v1/apps/${appId}`);
    const answeredIn = Date.now() - started;
    expect(res.status).toBe(204);
    // Gone for the API at once, while its rows are still there.
    expect((await call("GET", `/v1/apps/${appId}`)).status).toBe(404);
    expect((await call("GET", `/v1/apps/${appId}/messages`)).status).toBe(404);
    expect((await rowsOf(appId))?.messages).toBe(20_000);
    // Answering did not depend on the rows it left (a generous bound: the delete touches only
    // the app's own small tables).
    expect(answeredIn).toBeLessThan(5_000);

    let sweeps = 0;
    while ((await rowsOf(appId))?.app !== 0 && sweeps < 20) {
      const report = await sweep(env);
      expect(report.purged.deleted).toBeGreaterThanOrEqual(0);
      sweeps++;
    }
    expect(await rowsOf(appId)).toEqual({
      messages: 0,
      log: 0,
      letters: 0,
      keys: 0,
      open: 0,
      app: 0,
    });
    const jobs = await env.DB.prepare("SELECT COUNT(*) AS n FROM purge_jobs").first<{
      n: number;
    }>();
    expect(jobs?.n).toBe(0);
    // The neighbour kept everything.
    expect(await rowsOf(other.appId)).toEqual(before);
    // The trail outlives the app: who deleted it.
    const trail = await call<{ data: { action: string; resourceType: string }[] }>(
      "GET",
      `/v1/apps/${appId}/audit`,
    );
    expect(trail.body.data[0]).toMatchObject({ action: "delete", resourceType: "app" });
  });

  it("an endpoint's open deliveries go in the background and read as cancelled at once", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://purge.example.com/hook" });
    const idOf = await bulk(appId, ep.id, 3_000);
    const msgId = idOf(1);
    expect(msgId.length).toBe(newId("msg").length);

    expect((await call("DELETE", `/v1/apps/${appId}/endpoints/${ep.id}`)).status).toBe(204);
    const got = await call<{ deliveries: { status: string }[] }>(
      "GET",
      `/v1/apps/${appId}/messages/${msgId}`,
    );
    expect(got.body.deliveries).toEqual([expect.objectContaining({ status: "cancelled" })]);

    await sweep(env);
    const left = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM open_deliveries WHERE endpoint_id = ?",
    )
      .bind(ep.id)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });
});
