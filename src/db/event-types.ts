import { iso } from "./page";

export interface EventTypeRow {
  app_id: string;
  name: string;
  description: string | null;
  schema: string | null;
  created_at: number;
  updated_at: number;
}

/** Row to API shape. */
export function toEventType(row: EventTypeRow) {
  return {
    name: row.name,
    ...(row.description ? { description: row.description } : {}),
    ...(row.schema ? { schema: JSON.parse(row.schema) as Record<string, unknown> } : {}),
    createdAt: iso(row.created_at),
  };
}

export function insertEventType(db: D1Database, row: EventTypeRow) {
  return db
    .prepare(
      "INSERT INTO event_types (app_id, name, description, schema, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(row.app_id, row.name, row.description, row.schema, row.created_at, row.updated_at);
}

/** One event type of an app. */
export async function getEventType(db: D1Database, appId: string, name: string) {
  return db
    .prepare("SELECT * FROM event_types WHERE app_id = ? AND name = ?")
    .bind(appId, name)
    .first<EventTypeRow>();
}

/** Event types of an app by name, after the cursor name. */
export async function listEventTypes(
  db: D1Database,
  appId: string,
  limit: number,
  after: string | null,
) {
  // Every name is longer than '', so the first page is an index range like any other (see listApps).
  const { results } = await db
    .prepare(
      "SELECT * FROM event_types WHERE app_id = ?1 AND name > coalesce(?2, '') ORDER BY name LIMIT ?3",
    )
    .bind(appId, after, limit + 1)
    .all<EventTypeRow>();
  return results;
}

/** Partial update; `undefined` keeps a field, `null` clears it. Its result row is the new row. */
export function updateEventTypeStatement(
  db: D1Database,
  appId: string,
  name: string,
  patch: { description?: string | null; schema?: string | null },
  now: number,
) {
  return db
    .prepare(
      `UPDATE event_types SET
         description = CASE WHEN ?3 THEN ?4 ELSE description END,
         schema = CASE WHEN ?5 THEN ?6 ELSE schema END,
         updated_at = ?7
       WHERE app_id = ?1 AND name = ?2 RETURNING *`,
    )
    .bind(
      appId,
      name,
      patch.description !== undefined ? 1 : 0,
      patch.description ?? null,
      patch.schema !== undefined ? 1 : 0,
      patch.schema ?? null,
      now,
    );
}

/** Deletes an event type; its result's `meta.changes` says whether it existed. */
export function deleteEventTypeStatement(db: D1Database, appId: string, name: string) {
  return db.prepare("DELETE FROM event_types WHERE app_id = ? AND name = ?").bind(appId, name);
}
