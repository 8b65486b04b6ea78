import { deliveryId } from "../lib/ids";
import { iso } from "./page";

export interface DeadLetterRow {
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
    deliveryId: deliveryId(row.message_id, row.endpoint_id),
    messageId: row.message_id,
    endpointId: row.endpoint_id,
    reason: row.reason,
    attempts: row.attempts,
    deadAt: iso(row.dead_at),
  };
}

/**
 * Records dead letters in one statement; a later death of the same delivery (after a replay)
 * replaces its letter.
 */
export function insertDeadLettersStatement(db: D1Database, rows: DeadLetterRow[]) {
  const values = rows.map((r) => [
    r.app_id,
    r.message_id,
    r.endpoint_id,
    r.reason,
    r.attempts,
    r.dead_at,
  ]);
  return db
    .prepare(
      `INSERT INTO dead_letters (app_id, message_id, endpoint_id, reason, attempts, dead_at)
       SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5
       FROM json_each(?) WHERE true
       ON CONFLICT (app_id, message_id, endpoint_id) DO UPDATE SET reason = excluded.reason,
         attempts = excluded.attempts, dead_at = excluded.dead_at`,
    )
    .bind(JSON.stringify(values));
}

export interface DeadLetterFilter {
  appId: string;
  endpointId?: string;
  /** The reason, or its start (e.g. `target_refused` for every refusal). */
  reason?: string;
  since?: number;
  until?: number;
}

/** Dead letters of an app, newest message first, by endpoint and time; `before` is a delivery id. */
export async function listDeadLetters(
  db: D1Database,
  f: DeadLetterFilter,
  limit: number,
  before: { messageId: string; endpointId: string } | null,
) {
  // The key orders letters as their delivery ids sort (message, then endpoint); '~' sorts after
  // every id, so the first page seeks like the others. Filters are checked on the rows read.
  const { results } = await db
    .prepare(
      `SELECT * FROM dead_letters WHERE app_id = ?1 AND (?2 IS NULL OR endpoint_id = ?2)
         AND (?3 IS NULL OR dead_at >= ?3) AND (?4 IS NULL OR dead_at < ?4)
         AND (?8 IS NULL OR substr(reason, 1, length(?8)) = ?8)
         AND (message_id, endpoint_id) < (coalesce(?5, '~'), coalesce(?6, '~'))
       ORDER BY message_id DESC, endpoint_id DESC LIMIT ?7`,
    )
    .bind(
      f.appId,
      f.endpointId ?? null,
      f.since ?? null,
      f.until ?? null,
      before?.messageId ?? null,
      before?.endpointId ?? null,
      limit + 1,
      f.reason ?? null,
    )
    .all<DeadLetterRow>();
  return results;
}

/**
 * How many dead letters match, counting no further than `cap` (the answer says "at least" past
 * it): a confirmation needs an order of magnitude, not a scan of every letter.
 */
export async function countDeadLetters(
  db: D1Database,
  f: DeadLetterFilter,
  cap: number,
): Promise<{ count: number; atLeast: boolean }> {
  const row = await db
    .prepare(
      `SELECT count(*) AS n FROM (SELECT 1 FROM dead_letters WHERE app_id = ?1
         AND (?2 IS NULL OR endpoint_id = ?2) AND (?3 IS NULL OR dead_at >= ?3)
         AND (?4 IS NULL OR dead_at < ?4) AND (?5 IS NULL OR substr(reason, 1, length(?5)) = ?5)
         LIMIT ?6)`,
    )
    .bind(
      f.appId,
      f.endpointId ?? null,
      f.since ?? null,
      f.until ?? null,
      f.reason ?? null,
      cap + 1,
    )
    .first<{ n: number }>();
  const n = row?.n ?? 0;
  return { count: Math.min(n, cap), atLeast: n > cap };
}

/** An app's dead letter for a delivery, or null. */
export async function getDeadLetter(
  db: D1Database,
  appId: string,
  messageId: string,
  endpointId: string,
): Promise<DeadLetterRow | null> {
  return db
    .prepare("SELECT * FROM dead_letters WHERE app_id = ? AND message_id = ? AND endpoint_id = ?")
    .bind(appId, messageId, endpointId)
    .first<DeadLetterRow>();
}
