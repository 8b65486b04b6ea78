import type { AttemptError } from "../delivery/http";
import { iso } from "./page";

export interface AttemptRow {
  id: string;
  delivery_id: string;
  message_id: string;
  endpoint_id: string;
  app_id: string;
  attempt: number;
  started_at: number;
  duration_ms: number;
  status_code: number | null;
  error: AttemptError | "refused" | null;
  response_excerpt: string | null;
}

/** Row to API shape. */
export function toAttempt(row: AttemptRow) {
  return {
    id: row.id,
    deliveryId: row.delivery_id,
    messageId: row.message_id,
    endpointId: row.endpoint_id,
    attempt: row.attempt,
    startedAt: iso(row.started_at),
    durationMs: row.duration_ms,
    ...(row.status_code !== null ? { statusCode: row.status_code } : {}),
    ...(row.error ? { error: row.error } : {}),
    ...(row.response_excerpt ? { responseExcerpt: row.response_excerpt } : {}),
  };
}

/** Inserts a batch's attempts in one statement (the rows travel as one JSON parameter). */
export function insertAttemptsStatement(db: D1Database, rows: AttemptRow[]) {
  const values = rows.map((r) => [
    r.delivery_id,
    r.attempt,
    r.id,
    r.message_id,
    r.endpoint_id,
    r.app_id,
    r.started_at,
    r.duration_ms,
    r.status_code,
    r.error,
    r.response_excerpt,
  ]);
  return db
    .prepare(
      `INSERT INTO attempts (delivery_id, attempt, id, message_id, endpoint_id, app_id, started_at, duration_ms,
         status_code, error, response_excerpt)
       SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6,
         value ->> 7, value ->> 8, value ->> 9, value ->> 10
       FROM json_each(?)`,
    )
    .bind(JSON.stringify(values));
}

/** Attempts of one message or one endpoint of an app, newest first. */
export async function listAttempts(
  db: D1Database,
  appId: string,
  by: { messageId: string } | { endpointId: string },
  limit: number,
  before: string | null,
) {
  // '~' sorts after every id: an endpoint's first page seeks on attempts_endpoint like the others
  // (see listApps). A message's attempts are reached through its deliveries (attempts are keyed by
  // delivery), so that list reads all of them and sorts: bounded by fan-out x attempts per delivery.
  const sql =
    "messageId" in by
      ? `SELECT a.* FROM deliveries d JOIN attempts a ON a.delivery_id = d.id
         WHERE d.message_id = ?1 AND d.app_id = ?2 AND a.id < coalesce(?3, '~') ORDER BY a.id DESC LIMIT ?4`
      : `SELECT * FROM attempts WHERE endpoint_id = ?1 AND app_id = ?2 AND id < coalesce(?3, '~')
         ORDER BY id DESC LIMIT ?4`;
  const value = "messageId" in by ? by.messageId : by.endpointId;
  const { results } = await db
    .prepare(sql)
    .bind(value, appId, before, limit + 1)
    .all<AttemptRow>();
  return results;
}
