import { iso } from "./page";

export interface ApiKeyRow {
  id: string;
  app_id: string;
  name: string | null;
  token_hash: string;
  created_at: number;
}

/** Row to API shape (never the hash). */
export function toApiKey(row: ApiKeyRow, token?: string) {
  return {
    id: row.id,
    ...(row.name ? { name: row.name } : {}),
    ...(token ? { token } : {}),
    createdAt: iso(row.created_at),
  };
}

export function insertApiKey(db: D1Database, row: ApiKeyRow) {
  return db
    .prepare(
      "INSERT INTO api_keys (id, app_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(row.id, row.app_id, row.name, row.token_hash, row.created_at);
}

/** The key whose token hashes to `hash`, if any. */
export async function findApiKeyByHash(db: D1Database, hash: string): Promise<ApiKeyRow | null> {
  return db.prepare("SELECT * FROM api_keys WHERE token_hash = ?").bind(hash).first<ApiKeyRow>();
}

/** Keys of an app, newest first. */
export async function listApiKeys(
  db: D1Database,
  appId: string,
  limit: number,
  before: string | null,
) {
  // '~' sorts after every id: the first page seeks like the others (see listApps).
  const { results } = await db
    .prepare(
      "SELECT * FROM api_keys WHERE app_id = ?1 AND id < coalesce(?2, '~') ORDER BY id DESC LIMIT ?3",
    )
    .bind(appId, before, limit + 1)
    .all<ApiKeyRow>();
  return results;
}

/** Deletes a key of an app; its result row carries the token hash (for cache eviction). */
export function deleteApiKeyStatement(db: D1Database, appId: string, id: string) {
  return db
    .prepare("DELETE FROM api_keys WHERE id = ? AND app_id = ? RETURNING token_hash")
    .bind(id, appId);
}
