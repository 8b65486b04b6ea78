import { iso } from "./page";

export interface DeadLetterRow {
  delivery_id: string;
  app_id: string;
  message_id: string;
  endpoint_id: string;
  reason: string;
  attempts: number;
  dead_at: number;
}

/** Row to API shape. */
export function toDeadLetter(row: DeadLetterRow) {
  return {
    deliveryId: row.delivery_id,
    messageId: row.message_id,
    endpointId: row.endpoint_id,
    reason: row.reason,
    attempts: row.attempts,
    deadAt: iso(row.dead_at),
  };
}

/** Records a dead letter; a later death of the same delivery (after a replay) replaces it. */
export function upsertDeadLetterStatement(db: D1Database, row: DeadLetterRow) {
  return db
    .prepare(
      `INSERT INTO dead_letters (delivery_id, app_id, message_id, endpoint_id, reason, attempts, dead_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (delivery_id) DO UPDATE SET reason = excluded.reason, attempts = excluded.attempts, dead_at = excluded.dead_at`,
    )
    .bind(
      row.delivery_id,
      row.app_id,
      row.message_id,
      row.endpoint_id,
      row.reason,
      row.attempts,
      row.dead_at,
    );
}

export interface DeadLetterFilter {
  appId: string;
  endpointId?: string;
  since?: number;
  until?: number;
}

/** Dead letters of an app, newest first, by endpoint and time. */
export async function listDeadLetters(
  db: D1Database,
  f: DeadLetterFilter,
  limit: number,
  before: string | null,
) {
  // '~' sorts after every id: the first page seeks on dead_letters_app like the others (see
  // listApps); the optional filters are checked on the rows that range reads.
  const { results } = await db
    .prepare(
      `SELECT * FROM dead_letters WHERE app_id = ?1 AND (?2 IS NULL OR endpoint_id = ?2)
         AND (?3 IS NULL OR dead_at >= ?3) AND (?4 IS NULL OR dead_at < ?4) AND delivery_id < coalesce(?5, '~')
       ORDER BY delivery_id DESC LIMIT ?6`,
    )
    .bind(f.appId, f.endpointId ?? null, f.since ?? null, f.until ?? null, before, limit + 1)
    .all<DeadLetterRow>();
  return results;
}

/** Whether an app has a dead letter for this delivery. */
export async function deadLetterExists(
  db: D1Database,
  appId: string,
  deliveryId: string,
): Promise<boolean> {
  const row = await db
    .prepare("SELECT 1 AS one FROM dead_letters WHERE delivery_id = ? AND app_id = ?")
    .bind(deliveryId, appId)
    .first();
  return row !== null;
}
