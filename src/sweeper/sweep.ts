import { settings } from "../config";
import { takeStuckDeliveries } from "../db/deliveries";
import { enqueueDeliveries } from "../delivery/enqueue";
import { idFloor } from "../lib/ids";
import { log } from "../lib/log";

/** Most deliveries re-enqueued per sweep; the next sweep takes the rest. */
const SWEEP_BATCH = 1000;
/**
 * A delivery whose claim ran out this many times killed its consumer each time (a throw would
 * have been retried by the queue and dead-lettered after its max_retries, also 5).
 */
const MAX_LEASE_EXPIRIES = 5;
/** Most messages purged (with their deliveries and attempts) per sweep, so one run stays well inside D1 limits. */
const PURGE_BATCH = 5000;
/** Most expired signing secrets dropped per sweep. */
const SECRET_PURGE_BATCH = 1000;

export interface SweepReport {
  requeued: number;
  /** Deliveries whose claim ran out too often (their consumer kept dying): now dead. */
  crashed: number;
  purged: {
    messages: number;
    attempts: number;
    deadLetters: number;
    idempotencyKeys: number;
    /** Rotated-out signing secrets past their grace period. */
    expiredSecrets: number;
    /** Audit entries older than AUDIT_RETENTION_DAYS. */
    auditEntries: number;
  };
}

/**
 * The cron sweeper: re-enqueues deliveries the queue lost (a failed send after ingest, a crashed
 * consumer, a lost retry), purges data past retention (audit entries after their own, longer
 * one) and drops signing secrets whose grace period is over.
 */
export async function sweep(env: Env, now = Date.now()): Promise<SweepReport> {
  const cfg = settings(env);
  const stuck = await takeStuckDeliveries(
    env.DB,
    now,
    cfg.sweepGraceS * 1000,
    SWEEP_BATCH,
    MAX_LEASE_EXPIRIES,
  );
  const crashed = stuck.filter((d) => d.status === "dead").length;
  const requeue = stuck.filter((d) => d.status !== "dead");
  await enqueueDeliveries(
    env,
    requeue.map((d) => ({ deliveryId: d.id, endpointId: d.endpoint_id, messageId: d.message_id })),
  );

  // A message past retention goes with everything it produced: its deliveries, their attempts
  // and dead letters. Ids start with their creation time, so "older than the cutoff" is a range
  // of each app's message key; the same LIMITed selection is evaluated by each statement of the
  // one transaction, children first, so they all see the same messages.
  const cutoff = now - cfg.retentionDays * 86_400_000;
  const expired = `SELECT m.app_id, m.id FROM apps a JOIN messages m ON m.app_id = a.id AND m.id < ?1
    ORDER BY m.app_id, m.id LIMIT ?2`;
  const expiredDeliveries = `SELECT d.id FROM deliveries d
    WHERE d.message_id IN (SELECT id FROM (${expired}))`;
  const bound = (sql: string) => env.DB.prepare(sql).bind(idFloor("msg", cutoff), PURGE_BATCH);
  const [attempts, deadLetters, , messages, idempotencyKeys, expiredSecrets, auditEntries] =
    await env.DB.batch([
      bound(`DELETE FROM attempts WHERE delivery_id IN (${expiredDeliveries})`),
      bound(`DELETE FROM dead_letters WHERE delivery_id IN (${expiredDeliveries})`),
      bound(`DELETE FROM deliveries WHERE id IN (${expiredDeliveries})`),
      bound(`DELETE FROM messages WHERE (app_id, id) IN (${expired})`),
      env.DB.prepare(
        `DELETE FROM idempotency_keys WHERE (app_id, key) IN
         (SELECT app_id, key FROM idempotency_keys WHERE created_at < ?1 LIMIT ?2)`,
      ).bind(cutoff, PURGE_BATCH),
      // A rotation drops its profile's expired secrets, but a profile never rotated again would
      // keep its last one (still encrypted, never used to sign) forever.
      env.DB.prepare(
        `DELETE FROM auth_profile_secrets WHERE id IN
         (SELECT id FROM auth_profile_secrets WHERE expires_at IS NOT NULL AND expires_at <= ?1 LIMIT ?2)`,
      ).bind(now, SECRET_PURGE_BATCH),
      env.DB.prepare(
        `DELETE FROM audit_log WHERE id IN
         (SELECT id FROM audit_log WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)`,
      ).bind(now - cfg.auditRetentionDays * 86_400_000, PURGE_BATCH),
    ]);
  const report: SweepReport = {
    requeued: requeue.length,
    crashed,
    purged: {
      messages: messages?.meta.changes ?? 0,
      attempts: attempts?.meta.changes ?? 0,
      deadLetters: deadLetters?.meta.changes ?? 0,
      idempotencyKeys: idempotencyKeys?.meta.changes ?? 0,
      expiredSecrets: expiredSecrets?.meta.changes ?? 0,
      auditEntries: auditEntries?.meta.changes ?? 0,
    },
  };
  if (
    report.requeued > 0 ||
    report.crashed > 0 ||
    Object.values(report.purged).some((n) => n > 0)
  ) {
    log("sweep", { ...report });
  }
  return report;
}
