import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { sweep } from "../../src/sweeper/sweep";
import { deliveryRow, eventually, receiver, seedDeliveries } from "../delivery/fixtures";
import { call, newApp, newEndpoint } from "../helpers";

const GRACE_MS = 120_000;

describe("sweeper", () => {
  it("delivers a message whose queue send was lost, after one sweep", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, { url: "https://lost.example.com/" });
    const seen = receiver(() => new Response("ok"));
    // Rows committed by ingest, but the send to the queue never happened.
    const [task] = await seedDeliveries(
      appId,
      [ep.id],
      { lost: true },
      Date.now() - GRACE_MS - 1000,
    );
    const send = vi.spyOn(env.DELIVERIES, "sendBatch");

    const report = await sweep(env);

    expect(report.requeued).toBeGreaterThanOrEqual(1);
    expect(send.mock.calls.flatMap(([m]) => [...m]).map((m) => m.body)).toContainEqual(task);
    // The real queue hands it to the real consumer.
    await eventually(
      async () => (await deliveryRow(task?.deliveryId ?? ""))?.status === "succeeded",
    );
    expect(seen.filter((s) => s.url === "https://lost.example.com/")).toHaveLength(1);
  });

  it("re-enqueues a delivery held by a consumer that crashed (lease expired)", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const [task] = await seedDeliveries(appId, [ep.id]);
    // Claimed long ago: a claim keeps the due time it was taken at, and its lease ran out.
    const claimedAt = Date.now() - GRACE_MS - 60_000;
    await env.DB.prepare(
      "UPDATE deliveries SET status = 'delivering', next_attempt_at = ?, lease_until = ? WHERE id = ?",
    )
      .bind(claimedAt, claimedAt + 45_000, task?.deliveryId)
      .run();
    receiver(() => new Response("ok"));
    await sweep(env);
    await eventually(
      async () => (await deliveryRow(task?.deliveryId ?? ""))?.status === "succeeded",
    );
  });

  it("dead-letters a delivery whose consumer died holding it five times, as consumer_crash", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const [dying, once] = [
      ...(await seedDeliveries(appId, [ep.id])),
      ...(await seedDeliveries(appId, [ep.id])),
    ];
    // Both claimed long ago by consumers that never came back; one has been swept 4 times.
    const claimedAt = Date.now() - GRACE_MS - 60_000;
    const claim = (id: string | undefined, expiries: number) =>
      env.DB.prepare(
        `UPDATE deliveries SET status = 'delivering', next_attempt_at = ?, lease_until = ?,
           lease_expiries = ? WHERE id = ?`,
      )
        .bind(claimedAt, claimedAt + 45_000, expiries, id)
        .run();
    await claim(dying?.deliveryId, 4);
    await claim(once?.deliveryId, 0);
    const send = vi.spyOn(env.DELIVERIES, "sendBatch").mockImplementation(async () => ({
      metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
    }));

    const report = await sweep(env);

    expect(report.crashed).toBe(1);
    expect(await deliveryRow(dying?.deliveryId ?? "")).toMatchObject({
      status: "dead",
      last_error: "consumer_crash",
    });
    const letter = await env.DB.prepare("SELECT reason FROM dead_letters WHERE delivery_id = ?")
      .bind(dying?.deliveryId)
      .first<{ reason: string }>();
    expect(letter?.reason).toBe("consumer_crash");
    expect(
      await env.DB.prepare("SELECT status, lease_expiries FROM deliveries WHERE id = ?")
        .bind(once?.deliveryId)
        .first(),
    ).toEqual({ status: "pending", lease_expiries: 1 });
    const sent = send.mock.calls
      .flatMap(([m]) => [...m])
      .map((m) => (m.body as { deliveryId: string }).deliveryId);
    expect(sent).toContain(once?.deliveryId);
    expect(sent).not.toContain(dying?.deliveryId);

    // A replay starts over: a fresh series with a clean count.
    const replay = await call("POST", `/v1/apps/${appId}/dead-letters/${dying?.deliveryId}/replay`);
    expect(replay.status).toBe(202);
    expect(
      await env.DB.prepare("SELECT status, lease_expiries FROM deliveries WHERE id = ?")
        .bind(dying?.deliveryId)
        .first(),
    ).toEqual({ status: "pending", lease_expiries: 0 });
  });

  it("does not count a lost queue send (no claim ran out) toward the crash limit", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const [lost] = await seedDeliveries(appId, [ep.id], {}, Date.now() - GRACE_MS - 1000);
    vi.spyOn(env.DELIVERIES, "sendBatch").mockImplementation(async () => ({
      metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
    }));
    await sweep(env);
    expect(
      await env.DB.prepare("SELECT status, lease_expiries FROM deliveries WHERE id = ?")
        .bind(lost?.deliveryId)
        .first(),
    ).toEqual({ status: "pending", lease_expiries: 0 });
  });

  it("leaves recent and finished deliveries alone", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const [fresh] = await seedDeliveries(appId, [ep.id]);
    const [done] = await seedDeliveries(appId, [ep.id], {}, Date.now() - GRACE_MS - 1000);
    await env.DB.prepare(
      "UPDATE deliveries SET status = 'succeeded', next_attempt_at = NULL WHERE id = ?",
    )
      .bind(done?.deliveryId)
      .run();
    const send = vi.spyOn(env.DELIVERIES, "sendBatch");
    await sweep(env);
    const sent = send.mock.calls
      .flatMap(([m]) => [...m])
      .map((m) => (m.body as { deliveryId: string }).deliveryId);
    expect(sent).not.toContain(fresh?.deliveryId);
    expect(sent).not.toContain(done?.deliveryId);
  });

  it("purges messages, attempts and dead letters past retention", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const old = Date.now() - 31 * 86_400_000;
    const [task] = await seedDeliveries(appId, [ep.id], {}, old);
    await env.DB.batch([
      env.DB.prepare(
        "UPDATE deliveries SET status = 'dead', next_attempt_at = NULL WHERE id = ?",
      ).bind(task?.deliveryId),
      env.DB.prepare(
        `INSERT INTO attempts (id, delivery_id, message_id, endpoint_id, app_id, attempt, started_at, duration_ms)
         VALUES ('att_old', ?, ?, ?, ?, 1, ?, 5)`,
      ).bind(task?.deliveryId, task?.messageId, ep.id, appId, old),
      env.DB.prepare(
        `INSERT INTO dead_letters (delivery_id, app_id, message_id, endpoint_id, reason, attempts, dead_at)
         VALUES (?, ?, ?, ?, 'exhausted', 1, ?)`,
      ).bind(task?.deliveryId, appId, task?.messageId, ep.id, old),
    ]);
    const [recent] = await seedDeliveries(appId, [ep.id]);

    const report = await sweep(env);

    expect(report.purged.messages).toBeGreaterThanOrEqual(1);
    const count = async (sql: string, id: string | undefined) =>
      (await env.DB.prepare(sql).bind(id).first<{ n: number }>())?.n;
    expect(await count("SELECT COUNT(*) AS n FROM messages WHERE id = ?", task?.messageId)).toBe(0);
    expect(await count("SELECT COUNT(*) AS n FROM deliveries WHERE id = ?", task?.deliveryId)).toBe(
      0,
    );
    expect(
      await count("SELECT COUNT(*) AS n FROM attempts WHERE delivery_id = ?", task?.deliveryId),
    ).toBe(0);
    expect(
      await count("SELECT COUNT(*) AS n FROM dead_letters WHERE delivery_id = ?", task?.deliveryId),
    ).toBe(0);
    expect(await count("SELECT COUNT(*) AS n FROM messages WHERE id = ?", recent?.messageId)).toBe(
      1,
    );
  });

  it("follows RETENTION_DAYS: with 7, an 8-day-old message goes and a 6-day-old one stays", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const day = 86_400_000;
    const finish = (id: string | undefined) =>
      env.DB.prepare(
        "UPDATE deliveries SET status = 'succeeded', next_attempt_at = NULL WHERE id = ?",
      )
        .bind(id)
        .run();
    const [older] = await seedDeliveries(appId, [ep.id], {}, Date.now() - 8 * day);
    const [newer] = await seedDeliveries(appId, [ep.id], {}, Date.now() - 6 * day);
    await finish(older?.deliveryId);
    await finish(newer?.deliveryId);

    await sweep({ ...env, RETENTION_DAYS: "7" });

    const exists = async (id: string | undefined) =>
      (
        await env.DB.prepare("SELECT COUNT(*) AS n FROM messages WHERE id = ?")
          .bind(id)
          .first<{ n: number }>()
      )?.n;
    expect(await exists(older?.messageId)).toBe(0);
    expect(await deliveryRow(older?.deliveryId ?? "")).toBeNull();
    expect(await exists(newer?.messageId)).toBe(1);
    expect(await deliveryRow(newer?.deliveryId ?? "")).toMatchObject({ status: "succeeded" });
  });

  it("purges audit entries after AUDIT_RETENTION_DAYS (365 by default), not with the messages", async () => {
    const { appId } = await newApp();
    const day = 86_400_000;
    const entry = (id: string, ageDays: number) =>
      env.DB.prepare(
        `INSERT INTO audit_log (id, app_id, actor, action, resource_type, resource_id, created_at)
         VALUES (?, ?, 'admin', 'update', 'endpoint', 'ep_x', ?)`,
      ).bind(id, appId, Date.now() - ageDays * day);
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
