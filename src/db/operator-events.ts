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
