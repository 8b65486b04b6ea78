import type { DeliveryStatus } from "../schemas/messages";

export interface DeliveryRow {
  id: string;
  app_id: string;
  message_id: string;
  endpoint_id: string;
  status: DeliveryStatus;
  attempts: number;
  total_attempts: number;
  /** When it is due; NULL once finished (succeeded, dead, cancelled). */
  next_attempt_at: number | null;
  first_attempt_at: number | null;
  lease_until: number | null;
  /** Times a claim on it ran out (its consumer died); the sweeper dead-letters it after a few. */
  lease_expiries: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** Outcome of one attempt, as written back to the delivery row. */
export interface DeliveryUpdate {
  id: string;
  status: Exclude<DeliveryStatus, "delivering">;
  /** Whether an HTTP attempt was made (false for cancellations and refusals before sending). */
  attempted: boolean;
  /** NULL for a finished delivery (succeeded, dead, cancelled). */
  nextAttemptAt: number | null;
  startedAt: number;
  statusCode: number | null;
  error: string | null;
}

/**
 * Writes a batch's results to their deliveries and releases the claims, in one statement (the
 * updates travel as one JSON parameter).
 */
export function updateDeliveriesStatement(db: D1Database, updates: DeliveryUpdate[], now: number) {
  const values = updates.map((u) => [
    u.id,
    u.status,
    u.attempted ? 1 : 0,
    u.nextAttemptAt,
    u.startedAt,
    u.statusCode,
    u.error,
  ]);
  return db
    .prepare(
      `UPDATE deliveries SET status = u.status, attempts = attempts + u.inc, total_attempts = total_attempts + u.inc,
         next_attempt_at = u.next_at, first_attempt_at = COALESCE(first_attempt_at, CASE WHEN u.inc = 1 THEN u.started END),
         lease_until = NULL, last_status_code = COALESCE(u.code, last_status_code), last_error = u.error, updated_at = ?2
       FROM (SELECT value ->> 0 AS id, value ->> 1 AS status, value ->> 2 AS inc, value ->> 3 AS next_at,
               value ->> 4 AS started, value ->> 5 AS code, value ->> 6 AS error FROM json_each(?1)) AS u
       WHERE deliveries.id = u.id`,
    )
    .bind(JSON.stringify(values), now);
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
      `UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, lease_until = NULL, last_error = ?, updated_at = ?
       WHERE endpoint_id = ? AND next_attempt_at IS NOT NULL`,
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
           lease_until = NULL, lease_expiries = 0, last_error = NULL, updated_at = ?1
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
 * returned for re-enqueueing, at most `limit`. A delivery whose claim has now run out
 * `maxLeaseExpiries` times kills its consumer every time: it becomes `dead` (`consumer_crash`)
 * instead, as the queue's own max_retries would have made it, had the consumer thrown rather
 * than died. Returned rows carry their new status.
 */
export async function takeStuckDeliveries(
  db: D1Database,
  now: number,
  graceMs: number,
  limit: number,
  maxLeaseExpiries: number,
) {
  // One range of the due index: a claimed row keeps its due time, so a lost claim shows up
  // here too and is told apart by its lease. Both statements of the batch see the same rows:
  // the first only reads deliveries, and SET expressions all read the old row.
  const stuck = `SELECT id FROM deliveries WHERE next_attempt_at < ?2
    AND (status <> 'delivering' OR lease_until < ?2) ORDER BY next_attempt_at LIMIT ?3`;
  const expired = "(status = 'delivering' AND lease_expiries + 1 >= ?4)";
  const [, moved] = await db.batch<
    Pick<DeliveryRow, "id" | "endpoint_id" | "message_id" | "status">
  >([
    db
      .prepare(
        `INSERT INTO dead_letters (delivery_id, app_id, message_id, endpoint_id, reason, attempts, dead_at)
         SELECT id, app_id, message_id, endpoint_id, 'consumer_crash', attempts, ?1 FROM deliveries
         WHERE id IN (${stuck}) AND ${expired}
         ON CONFLICT (delivery_id) DO UPDATE SET reason = excluded.reason, attempts = excluded.attempts, dead_at = excluded.dead_at`,
      )
      .bind(now, now - graceMs, limit, maxLeaseExpiries),
    db
      .prepare(
        `UPDATE deliveries SET
           lease_expiries = lease_expiries + (status = 'delivering'),
           status = CASE WHEN ${expired} THEN 'dead' ELSE 'pending' END,
           next_attempt_at = CASE WHEN ${expired} THEN NULL ELSE ?1 END,
           last_error = CASE WHEN ${expired} THEN 'consumer_crash' ELSE last_error END,
           lease_until = NULL, updated_at = ?1
         WHERE id IN (${stuck})
         RETURNING id, endpoint_id, message_id, status`,
      )
      .bind(now, now - graceMs, limit, maxLeaseExpiries),
  ]);
  return moved?.results ?? [];
}

/**
 * An endpoint's failed or dead deliveries created since a time, oldest first (for recover):
 * failed ones from the unfinished index, dead ones through their dead letters.
 */
export async function recoverableDeliveryIds(
  db: D1Database,
  endpointId: string,
  since: number,
  limit: number,
) {
  const { results } = await db
    .prepare(
      `SELECT id, created_at FROM deliveries
         WHERE endpoint_id = ?1 AND next_attempt_at IS NOT NULL AND status = 'failed' AND created_at >= ?2
       UNION ALL
       SELECT d.id, d.created_at FROM dead_letters x JOIN deliveries d ON d.id = x.delivery_id
         WHERE x.endpoint_id = ?1 AND x.dead_at >= ?2 AND d.status = 'dead' AND d.created_at >= ?2
       ORDER BY created_at LIMIT ?3`,
    )
    .bind(endpointId, since, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** A FIFO endpoint's oldest unfinished delivery: what it is doing and when it is next due. */
export interface FifoHead {
  id: string;
  status: string;
  dueAt: number;
}

/** For FIFO endpoints: the oldest unfinished delivery of each (by message order). */
export async function fifoHeads(
  db: D1Database,
  endpointIds: string[],
): Promise<Map<string, FifoHead>> {
  if (endpointIds.length === 0) return new Map();
  const { results } = await db
    .prepare(
      `SELECT e.value AS endpoint_id, h.id, h.status, h.next_attempt_at AS due_at
       FROM json_each(?) e JOIN deliveries h ON h.id = (
         SELECT d.id FROM deliveries d WHERE d.endpoint_id = e.value AND d.next_attempt_at IS NOT NULL
         ORDER BY d.message_id LIMIT 1)`,
    )
    .bind(JSON.stringify(endpointIds))
    .all<{ endpoint_id: string; id: string; status: string; due_at: number }>();
  return new Map(
    results.map((r) => [r.endpoint_id, { id: r.id, status: r.status, dueAt: r.due_at }]),
  );
}

/** How many deliveries of an endpoint are not finished yet (its backlog). */
export async function openDeliveryCount(db: D1Database, endpointId: string): Promise<number> {
  const row = await db
    .prepare(
      "SELECT COUNT(*) AS n FROM deliveries WHERE endpoint_id = ? AND next_attempt_at IS NOT NULL",
    )
    .bind(endpointId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** For a FIFO endpoint: the next unfinished delivery after a message (its new head once that one is done). */
export async function nextFifoDelivery(db: D1Database, endpointId: string, afterMessageId: string) {
  const row = await db
    .prepare(
      `SELECT id FROM deliveries WHERE endpoint_id = ? AND next_attempt_at IS NOT NULL
         AND message_id > ? ORDER BY message_id LIMIT 1`,
    )
    .bind(endpointId, afterMessageId)
    .first<{ id: string }>();
  return row?.id ?? null;
}
