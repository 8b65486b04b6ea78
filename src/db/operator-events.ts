import { newId } from "../lib/ids";

/** An operator event as stored: something Hooklane did on its own (an endpoint disabled). */
export interface OperatorEventRow {
  id: string;
  app_id: string;
  type: string;
  endpoint_id: string | null;
  detail: string | null;
  created_at: number;
}

/** Row to API shape. */
export function toOperatorEvent(row: OperatorEventRow) {
  return {
    id: row.id,
    type: row.type,
    ...(row.endpoint_id ? { endpointId: row.endpoint_id } : {}),
    ...(row.detail ? { detail: row.detail } : {}),
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** Records an operator event (an endpoint disabled by 410 Gone or by auto-disable). */
export function operatorEventStatement(
  db: D1Database,
  e: { appId: string; type: string; endpointId: string | null; detail: string },
  now: number,
) {
  return db
    .prepare(
      "INSERT INTO operator_events (id, app_id, type, endpoint_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(newId("evt", now), e.appId, e.type, e.endpointId, e.detail, now);
}

/** An app's operator events, newest first, before the cursor id. */
export async function listOperatorEvents(
  db: D1Database,
  appId: string,
  limit: number,
  before: string | null,
): Promise<OperatorEventRow[]> {
  // '~' sorts after every id, so the first page is an index range like any other.
  const { results } = await db
    .prepare(
      "SELECT * FROM operator_events WHERE app_id = ?1 AND id < coalesce(?2, '~') ORDER BY id DESC LIMIT ?3",
    )
    .bind(appId, before, limit + 1)
    .all<OperatorEventRow>();
  return results;
}

/** An operator event with its endpoint's URL (when the endpoint still exists). */
export interface OperatorNotice extends OperatorEventRow {
  url: string | null;
}

/** Operator events recorded after `after` (an event id), oldest first, across apps. */
export async function operatorEventsAfter(
  db: D1Database,
  after: string,
  limit: number,
): Promise<OperatorNotice[]> {
  const { results } = await db
    .prepare(
      `SELECT o.*, e.url FROM operator_events o LEFT JOIN endpoints e ON e.id = o.endpoint_id
       WHERE o.id > ? ORDER BY o.id LIMIT ?`,
    )
    .bind(after, limit)
    .all<OperatorNotice>();
  return results;
}

/** The last operator event already sent on as a message ('' before the first). */
export async function noticesSentTo(db: D1Database): Promise<string> {
  const row = await db
    .prepare("SELECT notices_to FROM sweeper_state WHERE id = 1")
    .first<{ notices_to: string }>();
  return row?.notices_to ?? "";
}

/** Moves the mark of operator events sent on as messages. */
export async function markNoticesSent(db: D1Database, to: string, now: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO sweeper_state (id, swept_at, open_count, stalled_runs, behind, report, notices_to)
       VALUES (1, ?1, 0, 0, 0, '{}', ?2)
       ON CONFLICT (id) DO UPDATE SET notices_to = excluded.notices_to`,
    )
    .bind(now, to)
    .run();
}
