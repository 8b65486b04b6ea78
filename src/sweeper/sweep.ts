import { settings } from "../config";
import { takeStuckDeliveries } from "../db/deliveries";
import { enqueueDeliveries } from "../delivery/enqueue";

/** Most deliveries re-enqueued per sweep; the next sweep takes the rest. */
const SWEEP_BATCH = 1000;
/** Most rows purged per table per sweep, so one run stays well inside D1 limits. */
const PURGE_BATCH = 5000;

export interface SweepReport {
  requeued: number;
  purged: { messages: number; attempts: number; deadLetters: number; idempotencyKeys: number };
}

/**
 * The cron sweeper: re-enqueues deliveries the queue lost (a failed send after ingest, a crashed
 * consumer, a lost retry) and purges data past retention.
 */
export async function sweep(env: Env, now = Date.now()): Promise<SweepReport> {
  const cfg = settings(env);
  const stuck = await takeStuckDeliveries(env.DB, now, cfg.sweepGraceS * 1000, SWEEP_BATCH);
  await enqueueDeliveries(
    env,
    stuck.map((d) => ({ deliveryId: d.id, endpointId: d.endpoint_id, messageId: d.message_id })),
  );

  const cutoff = now - cfg.retentionDays * 86_400_000;
  const purge = (table: string, column: string, key: string) =>
    env.DB.prepare(
      `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${column} < ?1 LIMIT ?2)`,
    ).bind(cutoff, PURGE_BATCH);
  // Messages cascade to their deliveries.
  const [attempts, deadLetters, idempotencyKeys, messages] = await env.DB.batch([
    purge("attempts", "started_at", "id"),
    purge("dead_letters", "dead_at", "delivery_id"),
    purge("idempotency_keys", "created_at", "rowid"),
    purge("messages", "created_at", "id"),
  ]);
  const report: SweepReport = {
    requeued: stuck.length,
    purged: {
      messages: messages?.meta.changes ?? 0,
      attempts: attempts?.meta.changes ?? 0,
      deadLetters: deadLetters?.meta.changes ?? 0,
      idempotencyKeys: idempotencyKeys?.meta.changes ?? 0,
    },
  };
  if (report.requeued > 0 || Object.values(report.purged).some((n) => n > 0)) {
    console.log(JSON.stringify({ msg: "sweep", ...report }));
  }
  return report;
}
