import { iso } from "./page";

export interface AppRow {
  id: string;
  name: string;
  uid: string | null;
  ingest_rate_limit: number | null;
  created_at: number;
  updated_at: number;
}

/** Row to API shape. */
export function toApp(row: AppRow) {
  return {
    id: row.id,
    name: row.name,
    ...(row.uid ? { uid: row.uid } : {}),
    ...(row.ingest_rate_limit !== null ? { ingestRateLimit: row.ingest_rate_limit } : {}),
    createdAt: iso(row.created_at),
  };
}

export function insertApp(db: D1Database, row: AppRow) {
  return db
    .prepare(
      "INSERT INTO apps (id, name, uid, ingest_rate_limit, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(row.id, row.name, row.uid, row.ingest_rate_limit, row.created_at, row.updated_at);
}

/** One app or null. */
export async function getApp(db: D1Database, id: string): Promise<AppRow | null> {
  return db.prepare("SELECT * FROM apps WHERE id = ?").bind(id).first<AppRow>();
}

/** Apps newest first, `limit + 1` rows from before the cursor id. */
export async function listApps(
  db: D1Database,
  limit: number,
  before: string | null,
): Promise<AppRow[]> {
  // '~' sorts after every id, so the first page is an index range like any other: an
  // `?1 IS NULL OR id < ?1` would keep SQLite from seeking and read every row before the cursor.
  const { results } = await db
    .prepare("SELECT * FROM apps WHERE id < coalesce(?1, '~') ORDER BY id DESC LIMIT ?2")
    .bind(before, limit + 1)
    .all<AppRow>();
  return results;
}

/** Applies a partial update; its result row is the new row (none when the app is missing). */
export function updateAppStatement(
  db: D1Database,
  id: string,
  patch: { name?: string; uid?: string | null; ingestRateLimit?: number | null },
  now: number,
) {
  return db
    .prepare(
      `UPDATE apps SET name = COALESCE(?2, name),
         uid = CASE WHEN ?3 THEN ?4 ELSE uid END,
         ingest_rate_limit = CASE WHEN ?6 THEN ?7 ELSE ingest_rate_limit END, updated_at = ?5
       WHERE id = ?1 RETURNING *`,
    )
    .bind(
      id,
      patch.name ?? null,
      patch.uid !== undefined ? 1 : 0,
      patch.uid ?? null,
      now,
      patch.ingestRateLimit !== undefined ? 1 : 0,
      patch.ingestRateLimit ?? null,
    );
}

/**
 * Deletes an app and everything below it (rows without a foreign key are removed explicitly).
 * `then` runs in the same transaction right after the app's own row is deleted (its audit
 * entry). Returns the token hashes of the app's API keys (so auth caches can forget them), or
 * null when the app did not exist.
 */
export async function deleteApp(
  db: D1Database,
  id: string,
  then: D1PreparedStatement[] = [],
): Promise<string[] | null> {
  // Open rows are keyed by endpoint, so they are reached through the app's endpoints before
  // those cascade away; the log and dead letters are keyed by app. The apps delete cascades to
  // the rest (messages, keys, endpoints, profiles, event types).
  const results = await db.batch<{ token_hash: string }>([
    db.prepare("SELECT token_hash FROM api_keys WHERE app_id = ?").bind(id),
    db
      .prepare(
        "DELETE FROM open_deliveries WHERE endpoint_id IN (SELECT id FROM endpoints WHERE app_id = ?1)",
      )
      .bind(id),
    db.prepare("DELETE FROM dead_letters WHERE app_id = ?").bind(id),
    db.prepare("DELETE FROM attempt_log WHERE app_id = ?").bind(id),
    db.prepare("DELETE FROM apps WHERE id = ?").bind(id),
    ...then,
  ]);
  if ((results[4]?.meta.changes ?? 0) === 0) return null;
  return (results[0]?.results ?? []).map((r) => r.token_hash);
}
