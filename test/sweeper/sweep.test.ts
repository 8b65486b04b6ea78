import { env } from "cloudflare:workers";
import { describe, expect, it, type MockInstance, vi } from "vitest";
import type { OpenRow } from "../../src/db/open-deliveries";
import { idFloor } from "../../src/lib/ids";
import type { QueueTask } from "../../src/schemas/queue";
import { sweep } from "../../src/sweeper/sweep";
import {
  attemptRows,
  deadLetterOf,
  deliveryRow,
  eventually,
  logEntries,
  receiver,
  runConsumer,
  type SeededTask,
  seedDeliveries,
} from "../delivery/fixtures";
import { call, newApp, newEndpoint } from "../helpers";

const GRACE_MS = 120_000;
const DAY = 86_400_000;
/** The deployment without an ARCHIVE bucket: retention purges (test/archive/ covers archiving). */
const purging = { ...env, ARCHIVE: undefined } as unknown as Env;

/** Keeps the sweeper's sends out of the real queue (nothing is delivered) and records them. */
function holdQueue(): MockInstance<Queue["sendBatch"]> {
  return vi.spyOn(env.DELIVERIES, "sendBatch").mockImplementation(async () => ({
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
  }));
}

/** Every task sent through a `sendBatch` spy. */
function sentTasks(spy: MockInstance<Queue["sendBatch"]>): QueueTask[] {
  return spy.mock.calls.flatMap(([messages]) => [...messages]).map((m) => m.body as QueueTask);
}

/** The wake tasks sent through a `sendBatch` spy, by endpoint. */
function wokenEndpoints(spy: MockInstance<Queue["sendBatch"]>): string[] {
  return sentTasks(spy).flatMap((t) => (t.kind === "wake" ? [t.endpointId] : []));
}

/** Takes a delivery off the first-try path: gives it an open row (waiting, due now, unless told). */
async function openRow(task: SeededTask | undefined, fields: Partial<OpenRow> = {}) {
  if (!task) throw new Error("no task");
  const r = {
    state: "waiting",
    attempts: 0,
    total_attempts: 0,
    first_attempt_at: null,
    due_at: Date.now(),
    lost: 0,
    last_error: null,
    created_at: task.createdAt,
    ...fields,
  };
  await env.DB.prepare(
    `INSERT INTO open_deliveries (endpoint_id, message_id, app_id, state, attempts, total_attempts,
       first_attempt_at, due_at, lost, last_error, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(
      task.endpointId,
      task.messageId,
      task.appId,
      r.state,
      r.attempts,
      r.total_attempts,
      r.first_attempt_at,
      r.due_at,
      r.lost,
      r.last_error,
      r.created_at,
    )
    .run();
}

/** A delivery's open row as stored, or null once it has none. */
async function openRowOf(task: SeededTask | undefined): Promise<OpenRow | null> {
  return env.DB.prepare("SELECT * FROM open_deliveries WHERE endpoint_id = ? AND message_id = ?")
    .bind(task?.endpointId, task?.messageId)
    .first<OpenRow>();
}

/** Rows of a table matching a condition on one bound value. */
async function count(sql: string, value: string | undefined): Promise<number> {
  return (
    (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${sql}`).bind(value).first<{ n: number }>())
      ?.n ?? -1
  );
}

describe("sweeper", () => {
  it("delivers a message whose queue send was lost, after one sweep", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://lost.example.com/" });
    const seen = receiver(() => new Response("ok"));
    // The message was committed by ingest, but its first try never reached the queue.
    const [task] = await seedDeliveries(
      appId,
      [ep.id],
      { lost: true },
      Date.now() - GRACE_MS - 1000,
    );
    const send = vi.spyOn(env.DELIVERIES, "sendBatch");

    const report = await sweep(env);

    expect(report.requeued).toBeGreaterThanOrEqual(1);
    expect(wokenEndpoints(send)).toContain(ep.id);
    // The real queue hands the wake to the real consumer, which sends the open row.
    await eventually(
      async () => (await deliveryRow(task?.deliveryId ?? ""))?.status === "succeeded",
    );
    const mine = seen.filter((s) => s.url === "https://lost.example.com/");
    expect(mine).toHaveLength(1);
    expect(mine[0]?.headers["webhook-id"]).toBe(task?.messageId);
    expect(mine[0]?.body).toContain('"lost":true');
    expect(await openRowOf(task)).toBeNull();
    expect((await attemptRows(task?.deliveryId ?? "")).map((a) => [a.attempt, a.status])).toEqual([
      [1, "succeeded"],
    ]);
  });

  it("hands back a delivery whose consumer died holding it (its lease ran out)", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://handed-back.example.com/" });
    const [task] = await seedDeliveries(appId, [ep.id], {}, Date.now() - 10 * 60_000);
    // A first try that failed, so its retry waits in an open row...
    receiver(() => new Response("no", { status: 500 }));
    await runConsumer([task], { RETRY_SCHEDULE: "3600" });
    expect(await deliveryRow(task?.deliveryId ?? "")).toMatchObject({
      status: "failed",
      state: "waiting",
    });
    // ...then a wake handed it out long ago, and that consumer never came back.
    const leaseEnd = Date.now() - GRACE_MS - 15_000;
    await env.DB.prepare(
      "UPDATE open_deliveries SET state = 'queued', due_at = ? WHERE endpoint_id = ? AND message_id = ?",
    )
      .bind(leaseEnd, ep.id, task?.messageId)
      .run();
    const seen = receiver(() => new Response("ok"));

    const report = await sweep(env);

    expect(report.lost).toBeGreaterThanOrEqual(1);
    await eventually(
      async () => (await deliveryRow(task?.deliveryId ?? ""))?.status === "succeeded",
    );
    expect(seen.filter((s) => s.url === "https://handed-back.example.com/")).toHaveLength(1);
    // The retry continues the numbering of the series it belongs to.
    expect((await attemptRows(task?.deliveryId ?? "")).map((a) => [a.attempt, a.status])).toEqual([
      [1, "failed"],
      [2, "succeeded"],
    ]);
    expect(await openRowOf(task)).toBeNull();
  });

  it("dead-letters a delivery whose consumer died holding it five times, as consumer_crash", async () => {
    const { appId } = await newApp();
    const a = await newEndpoint(appId);
    const b = await newEndpoint(appId);
    const [dying] = await seedDeliveries(appId, [a.id]);
    const [once] = await seedDeliveries(appId, [b.id]);
    // Both handed out long ago to consumers that never came back; one was found lost 4 times.
    const leaseEnd = Date.now() - GRACE_MS - 15_000;
    await openRow(dying, { state: "queued", due_at: leaseEnd, lost: 4 });
    await openRow(once, { state: "queued", due_at: leaseEnd, lost: 0 });
    const send = holdQueue();

    const report = await sweep(env);

    expect(report.crashed).toBeGreaterThanOrEqual(1);
    expect(await deliveryRow(dying?.deliveryId ?? "")).toMatchObject({
      status: "dead",
      state: null,
      last_error: "consumer_crash",
    });
    expect(await deadLetterOf(dying?.deliveryId ?? "")).toMatchObject({
      reason: "consumer_crash",
    });
    const handedBack = await openRowOf(once);
    expect(handedBack).toMatchObject({ state: "waiting", lost: 1 });
    expect(handedBack?.due_at).toBeGreaterThan(leaseEnd);
    expect(await deadLetterOf(once?.deliveryId ?? "")).toBeNull();
    // Only the endpoint with a delivery handed back is woken.
    expect(wokenEndpoints(send)).toContain(b.id);
    expect(wokenEndpoints(send)).not.toContain(a.id);

    // A replay starts over: a fresh series with a clean count.
    const replay = await call("POST", `/v1/apps/${appId}/dead-letters/${dying?.deliveryId}/replay`);
    expect(replay.status).toBe(202);
    expect(await openRowOf(dying)).toMatchObject({ state: "waiting", lost: 0, attempts: 0 });
    expect(await deadLetterOf(dying?.deliveryId ?? "")).toBeNull();
    expect(wokenEndpoints(send)).toContain(a.id);
  });

  it("does not count a lost queue send (no hand-out ran out) toward the crash limit", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const [lost] = await seedDeliveries(appId, [ep.id], {}, Date.now() - GRACE_MS - 1000);
    const send = holdQueue();
    const now = Date.now();

    await sweep(env, now);
    expect(await openRowOf(lost)).toMatchObject({
      state: "waiting",
      lost: 0,
      attempts: 0,
      due_at: now,
      last_error: "lost before its first try",
    });

    // Its wake did not come either: the next sweep wakes the endpoint again, still no loss.
    const later = await sweep(env, now + GRACE_MS + 1000);
    expect(later.woken).toBeGreaterThanOrEqual(1);
    expect(await openRowOf(lost)).toMatchObject({ state: "waiting", lost: 0 });
    expect(wokenEndpoints(send).filter((id) => id === ep.id)).toHaveLength(2);
  });

  it("leaves recent, finished and not-yet-due deliveries alone", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const past = Date.now() - GRACE_MS - 1000;
    const [done] = await seedDeliveries(appId, [ep.id], {}, past);
    const [retrying] = await seedDeliveries(appId, [ep.id], {}, past);
    receiver(() => new Response("ok"));
    await runConsumer([done]);
    receiver(() => new Response("no", { status: 500 }));
    await runConsumer([retrying], { RETRY_SCHEDULE: "3600" });
    const retryAt = (await deliveryRow(retrying?.deliveryId ?? ""))?.next_attempt_at;
    // Inside the grace: its first try may still be on its way through the queue.
    const [fresh] = await seedDeliveries(appId, [ep.id]);
    const send = holdQueue();

    await sweep(env);

    expect(wokenEndpoints(send)).not.toContain(ep.id);
    expect(await openRowOf(fresh)).toBeNull();
    expect(await openRowOf(done)).toBeNull();
    expect(await deliveryRow(fresh?.deliveryId ?? "")).toMatchObject({ status: "pending" });
    expect(await deliveryRow(done?.deliveryId ?? "")).toMatchObject({
      status: "succeeded",
      attempts: 1,
    });
    expect(await deliveryRow(retrying?.deliveryId ?? "")).toMatchObject({
      status: "failed",
      state: "waiting",
      attempts: 1,
      next_attempt_at: retryAt,
    });
    expect(await openRowOf(retrying)).toMatchObject({ lost: 0 });
  });

  it("settles deliveries past their retry window as dead 'expired' even while the queue refuses every send", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const longAgo = Date.now() - 3 * DAY;
    // Retrying since three days, its endpoint's wakes never arrived.
    const [stuck] = await seedDeliveries(appId, [ep.id], {}, longAgo);
    await openRow(stuck, {
      attempts: 3,
      total_attempts: 3,
      first_attempt_at: longAgo,
      due_at: Date.now() - GRACE_MS - 1000,
      last_error: "HTTP 503",
    });
    // Lost before its first try, three days ago.
    const [neverSent] = await seedDeliveries(appId, [ep.id], {}, longAgo);
    // Lost too, but still inside its window: it waits for a wake.
    const [recent] = await seedDeliveries(appId, [ep.id], {}, Date.now() - GRACE_MS - 1000);
    const refused = new Error("queue unavailable");
    const sendBatch = vi.spyOn(env.DELIVERIES, "sendBatch").mockRejectedValue(refused);
    vi.spyOn(env.DELIVERIES, "send").mockRejectedValue(refused);

    const report = await sweep(env);

    expect(report.expired).toBeGreaterThanOrEqual(2);
    for (const [task, attempts] of [
      [stuck, 3],
      [neverSent, 0],
    ] as const) {
      expect(await deliveryRow(task?.deliveryId ?? "")).toMatchObject({
        status: "dead",
        state: null,
        last_error: "expired",
      });
      expect(await deadLetterOf(task?.deliveryId ?? "")).toMatchObject({
        reason: "expired",
        attempts,
      });
      expect((await logEntries(task?.deliveryId ?? "")).at(-1)).toMatchObject({
        attempt: 0,
        status: "dead",
        error: "expired",
      });
    }
    // The sweeper did try to wake the one still in its window; the refusal cost nothing but time.
    expect(sendBatch).toHaveBeenCalled();
    expect(wokenEndpoints(sendBatch)).toContain(ep.id);
    expect(await openRowOf(recent)).toMatchObject({
      state: "waiting",
      last_error: "lost before its first try",
    });
  });

  it("wakes an endpoint whose waiting deliveries are overdue, and only that one", async () => {
    const { appId } = await newApp();
    const overdue = await newEndpoint(appId);
    const onTime = await newEndpoint(appId);
    const [late] = await seedDeliveries(appId, [overdue.id], {}, Date.now() - 10 * 60_000);
    const [due] = await seedDeliveries(appId, [onTime.id], {}, Date.now() - 10 * 60_000);
    // A retry whose gate's wake never came, and one that just fell due (its wake may be on the way).
    const started = Date.now() - 9 * 60_000;
    await openRow(late, {
      attempts: 1,
      total_attempts: 1,
      first_attempt_at: started,
      due_at: Date.now() - GRACE_MS - 1000,
    });
    await openRow(due, {
      attempts: 1,
      total_attempts: 1,
      first_attempt_at: started,
      due_at: Date.now() - 1000,
    });
    const send = holdQueue();

    const report = await sweep(env);

    expect(report.woken).toBeGreaterThanOrEqual(1);
    expect(sentTasks(send)).toContainEqual({ kind: "wake", endpointId: overdue.id, appId });
    expect(wokenEndpoints(send)).not.toContain(onTime.id);
    // A wake is only a nudge: the row itself is unchanged until a consumer takes it.
    expect(await openRowOf(late)).toMatchObject({ state: "waiting", lost: 0, attempts: 1 });
  });

  it("purges messages, idempotency keys, attempt-log rows and dead letters past retention", async () => {
    const { appId } = await newApp();
    const gone = await newEndpoint(appId, { url: "https://gone.example.com/" });
    const live = await newEndpoint(appId, { url: "https://live.example.com/" });
    const [old] = await seedDeliveries(appId, [gone.id], {}, Date.now() - 31 * DAY);
    await env.DB.batch([
      env.DB.prepare("UPDATE messages SET idempotency_key = 'order-1' WHERE id = ?").bind(
        old?.messageId,
      ),
      env.DB.prepare(
        "INSERT INTO idempotency_keys (app_id, key, message_id) VALUES (?, 'order-1', ?)",
      ).bind(appId, old?.messageId),
    ]);
    receiver(() => new Response("gone", { status: 410 }));
    await runConsumer([old]);
    expect(await deadLetterOf(old?.deliveryId ?? "")).toMatchObject({ attempts: 1 });
    expect(await attemptRows(old?.deliveryId ?? "")).toHaveLength(1);
    const [recent] = await seedDeliveries(appId, [live.id]);
    receiver(() => new Response("ok"));
    await runConsumer([recent]);

    const report = await sweep(purging);

    expect(report.purged.messages).toBeGreaterThanOrEqual(1);
    expect(report.purged.idempotencyKeys).toBeGreaterThanOrEqual(1);
    expect(report.purged.logRows).toBeGreaterThanOrEqual(1);
    expect(report.purged.deadLetters).toBeGreaterThanOrEqual(1);
    expect(await count("messages WHERE id = ?", old?.messageId)).toBe(0);
    expect(await count("idempotency_keys WHERE message_id = ?", old?.messageId)).toBe(0);
    expect(await logEntries(old?.deliveryId ?? "")).toEqual([]);
    expect(await deadLetterOf(old?.deliveryId ?? "")).toBeNull();
    expect(await count("messages WHERE id = ?", recent?.messageId)).toBe(1);
    expect(await deliveryRow(recent?.deliveryId ?? "")).toMatchObject({ status: "succeeded" });
  });

  it("follows D1_RETENTION_DAYS: with 7, an 8-day-old message goes and a 6-day-old one stays", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const [older] = await seedDeliveries(appId, [ep.id], {}, Date.now() - 8 * DAY);
    const [newer] = await seedDeliveries(appId, [ep.id], {}, Date.now() - 6 * DAY);
    receiver(() => new Response("ok"));
    await runConsumer([older, newer]);

    await sweep({ ...purging, D1_RETENTION_DAYS: "7" });

    expect(await count("messages WHERE id = ?", older?.messageId)).toBe(0);
    expect(await deliveryRow(older?.deliveryId ?? "")).toBeNull();
    expect(await logEntries(older?.deliveryId ?? "")).toEqual([]);
    expect(await count("messages WHERE id = ?", newer?.messageId)).toBe(1);
    expect(await deliveryRow(newer?.deliveryId ?? "")).toMatchObject({ status: "succeeded" });
  });

  it("never purges a message whose delivery is still open, and purges it once that ended", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://replayed.example.com/" });
    const [task] = await seedDeliveries(appId, [ep.id], {}, Date.now() - 31 * DAY);
    if (!task) throw new Error("no task");
    receiver(() => new Response("gone", { status: 410 }));
    await runConsumer([task]);
    // Replayed just now, past retention: the delivery is open again.
    await call("PATCH", `/v1/apps/${appId}/endpoints/${ep.id}`, { body: { disabled: false } });
    const send = holdQueue();
    const replay = await call("POST", `/v1/apps/${appId}/dead-letters/${task.deliveryId}/replay`);
    expect(replay.status).toBe(202);

    await sweep(purging);

    expect(await count("messages WHERE id = ?", task.messageId)).toBe(1);
    expect(await deliveryRow(task.deliveryId)).toMatchObject({
      status: "pending",
      state: "waiting",
    });

    // The replay's wake reaches the consumer; the delivery succeeds and its open row goes.
    const seen = receiver(() => new Response("ok"));
    const wake = sentTasks(send).filter((t) => t.kind === "wake" && t.endpointId === ep.id);
    expect(wake.length).toBeGreaterThanOrEqual(1);
    await runConsumer(wake.slice(0, 1));
    expect(seen.filter((s) => s.url === "https://replayed.example.com/")).toHaveLength(1);
    expect(await openRowOf(task)).toBeNull();

    const after = await sweep(purging);

    expect(after.purged.messages).toBeGreaterThanOrEqual(1);
    expect(await count("messages WHERE id = ?", task.messageId)).toBe(0);
    expect(await logEntries(task.deliveryId)).toEqual([]);
  });

  it("purges a backlog larger than one pass in bounded passes within one sweep, and counts it", async () => {
    // Whatever else is past retention goes first, so the counts below are this test's alone.
    await sweep(purging);
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const old = Date.now() - 40 * DAY;
    const mine = "messages WHERE app_id = ?1";
    await env.DB.batch([
      env.DB.prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
         INSERT INTO messages (app_id, id, event_type, payload, event_id, idempotency_key, endpoints)
         SELECT ?1, ?2 || printf('%016d', i), 'order.created', '{"n":1}', NULL, 'key-' || i,
           json_array(substr(?3, 4)) FROM n`,
      ).bind(appId, idFloor("msg", old), ep.id),
      env.DB.prepare(
        `INSERT INTO idempotency_keys (app_id, key, message_id)
         SELECT app_id, idempotency_key, id FROM ${mine}`,
      ).bind(appId),
      // One log row per message, each a succeeded first try.
      env.DB.prepare(
        `INSERT INTO attempt_log (app_id, bucket, id, endpoint_id, entries)
         SELECT app_id, substr(id, 1, 12), 'att_' || substr(id, 5), ?2,
           json_array(json_array(substr(id, 5), 1, 'succeeded', ?3, 5, 200, NULL, NULL)) FROM ${mine}`,
      ).bind(appId, ep.id, old),
      // Every other one also dead-lettered (as after a replay that succeeded later).
      env.DB.prepare(
        `INSERT INTO dead_letters (app_id, message_id, endpoint_id, reason, attempts, dead_at)
         SELECT app_id, id, ?2, 'exhausted', 7, ?3 FROM ${mine}
           AND CAST(substr(id, -4) AS INTEGER) % 2 = 0`,
      ).bind(appId, ep.id, old),
      // The sweeper checked them all long ago.
      env.DB.prepare(`UPDATE apps SET swept_to = (SELECT max(id) FROM ${mine}) WHERE id = ?1`).bind(
        appId,
      ),
    ]);
    expect(await count(mine, appId)).toBe(5000);
    const prepare = vi.spyOn(env.DB, "prepare");
    const started = Date.now();

    const report = await sweep(purging);

    // 2,000 rows per statement per pass: three passes.
    const passes = prepare.mock.calls.filter(([sql]) => sql.startsWith("DELETE FROM messages"));
    expect(passes).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(report.purged).toMatchObject({
      messages: 5000,
      idempotencyKeys: 5000,
      logRows: 5000,
      deadLetters: 2500,
    });
    expect(await count(mine, appId)).toBe(0);
    expect(await count("idempotency_keys WHERE app_id = ?", appId)).toBe(0);
    expect(await count("attempt_log WHERE app_id = ?", appId)).toBe(0);
    expect(await count("dead_letters WHERE app_id = ?", appId)).toBe(0);
  }, 60_000);

  it("purges audit entries after AUDIT_RETENTION_DAYS (365 by default), not with the messages", async () => {
    const { appId } = await newApp();
    const entry = (id: string, ageDays: number) =>
      env.DB.prepare(
        `INSERT INTO audit_log (id, app_id, actor, action, resource_type, resource_id, created_at)
         VALUES (?, ?, 'admin', 'update', 'endpoint', 'ep_x', ?)`,
      ).bind(id, appId, Date.now() - ageDays * DAY);
    await env.DB.batch([entry("aud_old_400", 400), entry("aud_mid_100", 100)]);
    const left = async () =>
      (
        await env.DB.prepare(
          "SELECT id FROM audit_log WHERE app_id = ? AND resource_id = 'ep_x' ORDER BY id",
        )
          .bind(appId)
          .all<{ id: string }>()
      ).results.map((r) => r.id);

    const report = await sweep(env);
    expect(report.purged.auditEntries).toBeGreaterThanOrEqual(1);
    expect(await left()).toEqual(["aud_mid_100"]);
    await sweep({ ...env, AUDIT_RETENTION_DAYS: "90" });
    expect(await left()).toEqual([]);
  });

  describe("expired signing secrets", () => {
    /** Expired rotated-out secrets across all profiles at `now`. */
    async function expiredCount(now: number): Promise<number> {
      const row = await env.DB.prepare(
        "SELECT COUNT(*) AS n FROM auth_profile_secrets WHERE expires_at IS NOT NULL AND expires_at <= ?",
      )
        .bind(now)
        .first<{ n: number }>();
      return row?.n ?? 0;
    }

    async function secretRows(profileId: string) {
      const { results } = await env.DB.prepare(
        "SELECT id, expires_at FROM auth_profile_secrets WHERE profile_id = ? ORDER BY id",
      )
        .bind(profileId)
        .all<{ id: string; expires_at: number | null }>();
      return results;
    }

    async function rotated(appId: string) {
      const ep = await newEndpoint(appId);
      const res = await call("POST", `/v1/apps/${appId}/auth-profiles/${ep.authProfileId}/rotate`, {
        body: { graceSeconds: 3600 },
      });
      expect(res.status).toBe(200);
      const rows = await secretRows(ep.authProfileId);
      expect(rows).toHaveLength(2);
      return { profileId: ep.authProfileId, old: rows[0], current: rows[1] };
    }

    it("drops a rotated-out secret whose grace is over, keeps one still in grace and the current ones", async () => {
      const { appId } = await newApp();
      const lapsed = await rotated(appId);
      const inGrace = await rotated(appId);
      const now = Date.now();
      await env.DB.prepare("UPDATE auth_profile_secrets SET expires_at = ? WHERE id = ?")
        .bind(now - 1000, lapsed.old?.id)
        .run();
      const expired = await expiredCount(now);
      expect(expired).toBeGreaterThanOrEqual(1);

      const report = await sweep(env, now);

      expect(report.purged.expiredSecrets).toBe(expired);
      expect(await secretRows(lapsed.profileId)).toEqual([lapsed.current]);
      expect(await secretRows(inGrace.profileId)).toEqual([inGrace.old, inGrace.current]);
      expect(await expiredCount(now)).toBe(0);
    });

    it("drops at most 1000 expired secrets per sweep and the rest on the next", async () => {
      const { appId } = await newApp();
      const ep = await newEndpoint(appId);
      const now = Date.now();
      await env.DB.prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1005)
         INSERT INTO auth_profile_secrets (id, profile_id, secret_enc, public_key, created_at, expires_at)
         SELECT printf('aps_expired_%04d', i), ?1, 'v1.00000000.iv.data', NULL, ?2, ?2 FROM n`,
      )
        .bind(ep.authProfileId, now - 60_000)
        .run();
      const expired = await expiredCount(now);
      expect(expired).toBeGreaterThanOrEqual(1005);

      const first = await sweep(env, now);
      expect(first.purged.expiredSecrets).toBe(1000);
      expect(await expiredCount(now)).toBe(expired - 1000);

      const second = await sweep(env, now);
      expect(second.purged.expiredSecrets).toBe(expired - 1000);
      expect((await secretRows(ep.authProfileId)).map((r) => r.expires_at)).toEqual([null]);
    });
  });
});
