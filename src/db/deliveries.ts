import type { DeliveryStatus } from "../schemas/messages";

export interface DeliveryRow {
  id: string;
  app_id: string;
  message_id: string;
  endpoint_id: string;
  status: DeliveryStatus;
  attempts: number;
  total_attempts: number;
  next_attempt_at: number;
  first_attempt_at: number | null;
  lease_until: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** A queue message may run a delivery this early (queue delays are whole seconds). */
const EARLY_SLACK_MS = 1000;

/**
 * Claims deliveries for this consumer in one round trip: a delivery is claimable when it waits
 * (`pending`/`failed`) and is due, or when a previous claim's lease ran out (a crashed consumer).
 * Claimed rows become `delivering` with a lease; the second result is the state of every id, so
 * the caller can tell unknown ids (poison) from ones another consumer holds.
 */
export async function claimDeliveries(
  db: D1Database,
  ids: string[],
  now: number,
  leaseMs: number,
): Promise<{
  claimed: DeliveryRow[];
  states: Map<string, Pick<DeliveryRow, "status" | "lease_until" | "next_attempt_at">>;
}> {
  const idsJson = JSON.stringify(ids);
  const [claim, states] = await db.batch<DeliveryRow>([
    db
      .prepare(
        `UPDATE deliveries SET status = 'delivering', lease_until = ?1, updated_at = ?2
         WHERE id IN (SELECT value FROM json_each(?3)) AND (
           (status IN ('pending', 'failed') AND next_attempt_at <= ?4)
           OR (status = 'delivering' AND lease_until < ?2))
         RETURNING *`,
      )
      .bind(now + leaseMs, now, idsJson, now + EARLY_SLACK_MS),
    db
      .prepare(
        "SELECT id, status, lease_until, next_attempt_at FROM deliveries WHERE id IN (SELECT value FROM json_each(?))",
      )
      .bind(idsJson),
  ]);
  return {
    claimed: claim?.results ?? [],
    states: new Map((states?.results ?? []).map((r) => [r.id, r])),
  };
}

/** Outcome of one attempt, as written back to the delivery row. */
export interface DeliveryUpdate {
  id: string;
  status: Exclude<DeliveryStatus, "delivering">;
  /** Whether an HTTP attempt was made (false for cancellations and refusals before sending). */
  attempted: boolean;
  nextAttemptAt: number;
  startedAt: number;
  statusCode: number | null;
  error: string | null;
}

/** Writes an attempt's result to its delivery and releases the claim. */
export function updateDeliveryStatement(db: D1Database, u: DeliveryUpdate, now: number) {
  const inc = u.attempted ? 1 : 0;
  return db
    .prepare(
      `UPDATE deliveries SET status = ?2, attempts = attempts + ?3, total_attempts = total_attempts + ?3,
         next_attempt_at = ?4, first_attempt_at = COALESCE(first_attempt_at, CASE WHEN ?3 = 1 THEN ?5 END),
         lease_until = NULL, last_status_code = COALESCE(?6, last_status_code), last_error = ?7, updated_at = ?8
       WHERE id = ?1`,
    )
    .bind(u.id, u.status, inc, u.nextAttemptAt, u.startedAt, u.statusCode, u.error, now);
}

/** Cancels an endpoint's deliveries that have not finished (the endpoint was deleted). */
export function cancelOpenDeliveriesStatement(
  db: D1Database,
  endpointId: string,
  reason: string,
  now: number,
) {
  return db
    .prepare(
      `UPDATE deliveries SET status = 'cancelled', last_error = ?, updated_at = ?
       WHERE endpoint_id = ? AND status IN ('pending', 'delivering', 'failed')`,
    )
    .bind(reason, now, endpointId);
}

/**
 * Starts a fresh attempt series for deliveries (replay, recover): `pending`, due now, attempt
 * count of the series back to 0 (the log keeps numbering). Only rows in `from` statuses move.
 * Returns the rows that moved, for enqueueing.
 */
export async function restartDeliveries(
  db: D1Database,
  ids: string[],
  from: DeliveryStatus[],
  now: number,
): Promise<Pick<DeliveryRow, "id" | "endpoint_id" | "message_id">[]> {
  if (ids.length === 0) return [];
  const [moved] = await db.batch<Pick<DeliveryRow, "id" | "endpoint_id" | "message_id">>([
    db
      .prepare(
        `UPDATE deliveries SET status = 'pending', attempts = 0, first_attempt_at = NULL, next_attempt_at = ?1,
           lease_until = NULL, last_error = NULL, updated_at = ?1
         WHERE id IN (SELECT value FROM json_each(?2)) AND status IN (SELECT value FROM json_each(?3))
         RETURNING id, endpoint_id, message_id`,
      )
      .bind(now, JSON.stringify(ids), JSON.stringify(from)),
    db
      .prepare("DELETE FROM dead_letters WHERE delivery_id IN (SELECT value FROM json_each(?))")
      .bind(JSON.stringify(ids)),
  ]);
  return moved?.results ?? [];
}

/**
 * Deliveries the queue seems to have lost: waiting (`pending`, `failed`) and overdue by `graceMs`,
 * or `delivering` with a lease that ran out `graceMs` ago (a crashed consumer). They become
 * `pending`, due now (so the next sweep waits another grace before touching them again), and are
 * returned for re-enqueueing, at most `limit`.
 */
export async function takeStuckDeliveries(
  db: D1Database,
  now: number,
  graceMs: number,
  limit: number,
) {
  const cutoff = now - graceMs;
  const { results } = await db
    .prepare(
      `UPDATE deliveries SET status = 'pending', lease_until = NULL, next_attempt_at = ?1, updated_at = ?1
       WHERE id IN (
         SELECT id FROM deliveries WHERE status IN ('pending', 'failed') AND next_attempt_at < ?2
         UNION ALL SELECT id FROM deliveries WHERE status = 'delivering' AND lease_until < ?2
         LIMIT ?3)
       RETURNING id, endpoint_id, message_id`,
    )
    .bind(now, cutoff, limit)
    .all<Pick<DeliveryRow, "id" | "endpoint_id" | "message_id">>();
  return results;
}

/** An endpoint's failed or dead deliveries created since a time, oldest first (for recover). */
export async function recoverableDeliveryIds(
  db: D1Database,
  endpointId: string,
  since: number,
  limit: number,
) {
  const { results } = await db
    .prepare(
      `SELECT id FROM deliveries WHERE endpoint_id = ? AND status IN ('failed', 'dead') AND created_at >= ?
       ORDER BY created_at LIMIT ?`,
    )
    .bind(endpointId, since, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** For FIFO endpoints: the oldest unfinished delivery of each (by message order). */
export async function fifoHeads(
  db: D1Database,
  endpointIds: string[],
): Promise<Map<string, string>> {
  if (endpointIds.length === 0) return new Map();
  const { results } = await db
    .prepare(
      `SELECT e.value AS endpoint_id, (
         SELECT d.id FROM deliveries d WHERE d.endpoint_id = e.value AND d.status IN ('pending', 'failed', 'delivering')
         ORDER BY d.message_id LIMIT 1) AS head
       FROM json_each(?) e`,
    )
    .bind(JSON.stringify(endpointIds))
    .all<{ endpoint_id: string; head: string | null }>();
  return new Map(
    results.filter((r) => r.head !== null).map((r) => [r.endpoint_id, r.head as string]),
  );
}

/** How many deliveries of an endpoint are not finished yet (its backlog). */
export async function openDeliveryCount(db: D1Database, endpointId: string): Promise<number> {
  const row = await db
    .prepare(
      "SELECT COUNT(*) AS n FROM deliveries WHERE endpoint_id = ? AND status IN ('pending', 'failed', 'delivering')",
    )
    .bind(endpointId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** For a FIFO endpoint: the next unfinished delivery after a message (its new head once that one is done). */
export async function nextFifoDelivery(db: D1Database, endpointId: string, afterMessageId: string) {
  const row = await db
    .prepare(
      `SELECT id FROM deliveries WHERE endpoint_id = ? AND status IN ('pending', 'failed', 'delivering')
         AND message_id > ? ORDER BY message_id LIMIT 1`,
    )
    .bind(endpointId, afterMessageId)
    .first<{ id: string }>();
  return row?.id ?? null;
}
