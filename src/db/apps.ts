import { portalOriginsOf } from "../schemas/portal";
import { getDirectoryEntries } from "./directory";
import { iso } from "./page";

export interface AppRow {
  id: string;
  name: string;
  uid: string | null;
  ingest_rate_limit: number | null;
  max_endpoints: number | null;
  /** JSON array of origins that may frame the app's portal; NULL: none. */
  portal_origins: string | null;
  /** The CloudEvents source of the app's events; NULL: `/hooklane/{appId}`. */
  ce_source: string | null;
  created_at: number;
  updated_at: number;
}

/** Row to API shape, with the shard that holds it. */
export function toApp(row: AppRow, shard: number) {
  return {
    id: row.id,
    name: row.name,
    ...(row.uid ? { uid: row.uid } : {}),
    ...(row.ingest_rate_limit !== null ? { ingestRateLimit: row.ingest_rate_limit } : {}),
    ...(row.max_endpoints !== null ? { maxEndpoints: row.max_endpoints } : {}),
    ...(row.portal_origins !== null ? { portalOrigins: portalOriginsOf(row.portal_origins) } : {}),
    ...(row.ce_source !== null ? { ceSource: row.ce_source } : {}),
    shard,
    createdAt: iso(row.created_at),
  };
}

export function insertApp(db: D1Database, row: AppRow) {
  return db
    .prepare(
      "INSERT INTO apps (id, name, uid, ingest_rate_limit, max_endpoints, portal_origins, created_at, updated_at, ce_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(
      row.id,
      row.name,
      row.uid,
      row.ingest_rate_limit,
      row.max_endpoints,
      row.portal_origins,
      row.created_at,
      row.updated_at,
      row.ce_source,
    );
}

/** One app or null. */
export async function getApp(db: D1Database, id: string): Promise<AppRow | null> {
  return db
    .prepare("SELECT * FROM apps WHERE id = ? AND deleted_at IS NULL")
    .bind(id)
    .first<AppRow>();
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
    .prepare(
      "SELECT * FROM apps WHERE id < coalesce(?1, '~') AND deleted_at IS NULL ORDER BY id DESC LIMIT ?2",
    )
    .bind(before, limit + 1)
    .all<AppRow>();
  return results;
}

/**
 * Every shard's newest apps before the cursor, merged (`limit + 1` at most): ids sort by
 * creation across shards, so the merged page and its cursor read as if one database held them
 * all. `dbs` are the shards in order (`shardDbs`), `directory` the first database.
 */
export async function listAppsOfShards(
  dbs: D1Database[],
  directory: D1Database,
  limit: number,
  before: string | null,
): Promise<{ row: AppRow; shard: number }[]> {
  const pages = await Promise.all(
    dbs.map(async (db, shard) =>
      (await listApps(db, limit, before)).map((row) => ({ row, shard })),
    ),
  );
  const rows = pages.flat();
  // An app being moved has a live row on both shards until its old copy is retired: list the
  // one the directory reads it from (a directory read only when a page has such an app).
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.row.id, (counts.get(r.row.id) ?? 0) + 1);
  const twice = [...counts].flatMap(([id, n]) => (n > 1 ? [id] : []));
  const home = new Map(
    (await getDirectoryEntries(directory, twice)).map((d) => [d.app_id, d.shard]),
  );
  return rows
    .filter((r) => (home.get(r.row.id) ?? r.shard) === r.shard)
    .sort((a, b) => (a.row.id < b.row.id ? 1 : -1))
    .slice(0, limit + 1);
}

/** Applies a partial update; its result row is the new row (none when the app is missing). */
export function updateAppStatement(
  db: D1Database,
  id: string,
  patch: {
    name?: string;
    uid?: string | null;
    ingestRateLimit?: number | null;
    maxEndpoints?: number | null;
    /** The `portal_origins` column value (see portalOriginsColumn); undefined leaves it. */
    portalOrigins?: string | null;
    ceSource?: string | null;
  },
  now: number,
) {
  return db
    .prepare(
      `UPDATE apps SET name = COALESCE(?2, name),
         uid = CASE WHEN ?3 THEN ?4 ELSE uid END,
         ingest_rate_limit = CASE WHEN ?6 THEN ?7 ELSE ingest_rate_limit END,
         max_endpoints = CASE WHEN ?8 THEN ?9 ELSE max_endpoints END,
         portal_origins = CASE WHEN ?10 THEN ?11 ELSE portal_origins END,
         ce_source = CASE WHEN ?12 THEN ?13 ELSE ce_source END, updated_at = ?5
       WHERE id = ?1 AND deleted_at IS NULL RETURNING *`,
    )
    .bind(
      id,
      patch.name ?? null,
      patch.uid !== undefined ? 1 : 0,
      patch.uid ?? null,
      now,
      patch.ingestRateLimit !== undefined ? 1 : 0,
      patch.ingestRateLimit ?? null,
      patch.maxEndpoints !== undefined ? 1 : 0,
      patch.maxEndpoints ?? null,
      patch.portalOrigins !== undefined ? 1 : 0,
      patch.portalOrigins ?? null,
      patch.ceSource !== undefined ? 1 : 0,
      patch.ceSource ?? null,
    );
}

/**
 * Deletes an app: at once, its keys, endpoints, profiles and event types go and the app is
 * marked deleted (404 from then on); what grows with traffic (messages, the log, dead letters,
 * open rows) is left to the sweeper's purge jobs, so an app with millions of rows deletes as
 * fast as an empty one. `then` runs in the same transaction right after the app is marked (its
 * audit entry). Returns the token hashes of the app's API keys (so auth caches can forget
 * them), or null when the app did not exist.
 */
export async function deleteApp(
  db: D1Database,
  id: string,
  now: number,
  then: D1PreparedStatement[] = [],
): Promise<string[] | null> {
  const live = "SELECT 1 FROM apps WHERE id = ?1 AND deleted_at IS NULL";
  const results = await db.batch<{ token_hash: string }>([
    db.prepare("SELECT token_hash FROM api_keys WHERE app_id = ?").bind(id),
    db
      .prepare(
        `INSERT OR IGNORE INTO purge_jobs (kind, id, created_at)
         SELECT 'endpoint', id, ?2 FROM endpoints WHERE app_id = ?1`,
      )
      .bind(id, now),
    db.prepare("DELETE FROM endpoints WHERE app_id = ?").bind(id),
    db.prepare("DELETE FROM api_keys WHERE app_id = ?").bind(id),
    db.prepare("DELETE FROM auth_profiles WHERE app_id = ?").bind(id),
    db.prepare("DELETE FROM event_types WHERE app_id = ?").bind(id),
    db
      .prepare(
        `INSERT OR IGNORE INTO purge_jobs (kind, id, created_at) SELECT 'app', ?1, ?2 WHERE EXISTS (${live})`,
      )
      .bind(id, now),
    db
      .prepare(
        "UPDATE apps SET deleted_at = ?2, uid = NULL, updated_at = ?2 WHERE id = ?1 AND deleted_at IS NULL",
      )
      .bind(id, now),
    ...then,
  ]);
  if ((results[7]?.meta.changes ?? 0) === 0) return null;
  return (results[0]?.results ?? []).map((r) => r.token_hash);
}
