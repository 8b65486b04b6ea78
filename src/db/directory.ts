/**
 * The directory in the first database (binding DB): which shard holds each app, and which app
 * an API key opens. Read on every cold lookup; written when apps and keys come and go.
 */

export interface DirectoryRow {
  app_id: string;
  shard: number;
  pinned: number;
  uid: string | null;
  moving_to: number | null;
  moving_since: number | null;
  move_cursor: string | null;
  deleted_at: number | null;
  created_at: number;
}

/** An app's entry, deleted or not; null when the app never existed. */
export async function getDirectoryEntry(
  db: D1Database,
  appId: string,
): Promise<DirectoryRow | null> {
  return db
    .prepare("SELECT * FROM app_directory WHERE app_id = ?")
    .bind(appId)
    .first<DirectoryRow>();
}

/** The entries of several apps in one read. */
export async function getDirectoryEntries(
  db: D1Database,
  appIds: string[],
): Promise<DirectoryRow[]> {
  if (appIds.length === 0) return [];
  const { results } = await db
    .prepare("SELECT d.* FROM json_each(?) j JOIN app_directory d ON d.app_id = j.value")
    .bind(JSON.stringify(appIds))
    .all<DirectoryRow>();
  return results;
}

export function insertDirectoryEntry(
  db: D1Database,
  row: { appId: string; shard: number; pinned: boolean; uid: string | null; createdAt: number },
) {
  return db
    .prepare(
      "INSERT INTO app_directory (app_id, shard, pinned, uid, created_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(row.appId, row.shard, row.pinned ? 1 : 0, row.uid, row.createdAt);
}

/** Claims a new uid for an app (null frees it); fails with UNIQUE when another app has it. */
export function setDirectoryUid(db: D1Database, appId: string, uid: string | null) {
  return db.prepare("UPDATE app_directory SET uid = ? WHERE app_id = ?").bind(uid, appId);
}

/** Removes an entry (an app whose creation did not finish). */
export function deleteDirectoryEntry(db: D1Database, appId: string) {
  return db.prepare("DELETE FROM app_directory WHERE app_id = ?").bind(appId);
}

/** Marks an app deleted (its uid freed) and forgets its keys; returns the keys' token hashes. */
export async function retireApp(db: D1Database, appId: string, now: number): Promise<string[]> {
  const [keys] = await db.batch<{ token_hash: string }>([
    db.prepare("DELETE FROM key_directory WHERE app_id = ? RETURNING token_hash").bind(appId),
    db
      .prepare(
        "UPDATE app_directory SET deleted_at = ?2, uid = NULL WHERE app_id = ?1 AND deleted_at IS NULL",
      )
      .bind(appId, now),
  ]);
  return (keys?.results ?? []).map((r) => r.token_hash);
}

export interface KeyEntry {
  app_id: string;
  key_id: string;
  token_hash: string;
}

/** The app and key a token hash opens, if any. */
export async function findKeyEntry(db: D1Database, hash: string): Promise<KeyEntry | null> {
  return db
    .prepare("SELECT * FROM key_directory WHERE token_hash = ?")
    .bind(hash)
    .first<KeyEntry>();
}

export function insertKeyEntry(db: D1Database, entry: KeyEntry) {
  return db
    .prepare("INSERT INTO key_directory (token_hash, app_id, key_id) VALUES (?, ?, ?)")
    .bind(entry.token_hash, entry.app_id, entry.key_id);
}

export function deleteKeyEntry(db: D1Database, hash: string) {
  return db.prepare("DELETE FROM key_directory WHERE token_hash = ?").bind(hash);
}

/**
 * Runs directory statements and an app's shard statements: in one transaction when the app
 * lives in the first database, else the directory's first (it decides: a uid taken, a key
 * gone), then the shard's. Returns the shard's results.
 */
export async function writeDirectoryAndShard<T = unknown>(
  directory: D1Database,
  shard: D1Database,
  directoryStatements: D1PreparedStatement[],
  shardStatements: D1PreparedStatement[],
): Promise<D1Result<T>[]> {
  if (shard === directory) {
    const all = await directory.batch<T>([...directoryStatements, ...shardStatements]);
    return all.slice(directoryStatements.length);
  }
  if (directoryStatements.length > 0) await directory.batch(directoryStatements);
  return shardStatements.length > 0 ? shard.batch<T>(shardStatements) : [];
}

/** Marks an app as moving to `to` (pinned there); false when it is gone or already moving. */
export async function startMove(
  db: D1Database,
  appId: string,
  to: number,
  now: number,
): Promise<boolean> {
  const res = await db
    .prepare(
      `UPDATE app_directory SET moving_to = ?2, moving_since = ?3, move_cursor = NULL, pinned = 1
       WHERE app_id = ?1 AND moving_to IS NULL AND deleted_at IS NULL AND shard <> ?2`,
    )
    .bind(appId, to, now)
    .run();
  return res.meta.changes > 0;
}

/** Apps being moved, oldest move first. */
export async function movingApps(db: D1Database): Promise<DirectoryRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM app_directory WHERE moving_to IS NOT NULL ORDER BY moving_since")
    .all<DirectoryRow>();
  return results;
}

/** Saves how far a move's copy got. */
export function saveMoveCursor(db: D1Database, appId: string, cursor: string) {
  return db
    .prepare("UPDATE app_directory SET move_cursor = ? WHERE app_id = ?")
    .bind(cursor, appId);
}

/** The copy is done: the app lives on its new shard from now on. */
export function finishMove(db: D1Database, appId: string, to: number) {
  return db
    .prepare(
      `UPDATE app_directory SET shard = ?2, moving_to = NULL, moving_since = NULL, move_cursor = NULL
       WHERE app_id = ?1 AND moving_to = ?2`,
    )
    .bind(appId, to);
}
