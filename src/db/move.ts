/**
 * Copying one app's rows from one shard to another, table by table in key order, in chunks a
 * sweep can take several of. Copies are `INSERT OR IGNORE`: a chunk copied twice (a sweep that
 * died before saving its cursor) changes nothing.
 */

/** One table of an app: how to find its rows and the key that orders them. */
interface AppTable {
  name: string;
  /** Rows of the app `?1`, as a FROM ... WHERE fragment (aliased `t`). */
  from: string;
  key: string[];
}

/** Every table holding an app's rows, parents before children (foreign keys hold at each step). */
export const APP_TABLES: readonly AppTable[] = [
  { name: "apps", from: "apps t WHERE t.id = ?1", key: ["id"] },
  { name: "event_types", from: "event_types t WHERE t.app_id = ?1", key: ["name"] },
  { name: "auth_profiles", from: "auth_profiles t WHERE t.app_id = ?1", key: ["id"] },
  {
    name: "auth_profile_secrets",
    from: "auth_profile_secrets t JOIN auth_profiles p ON p.id = t.profile_id WHERE p.app_id = ?1",
    key: ["id"],
  },
  { name: "api_keys", from: "api_keys t WHERE t.app_id = ?1", key: ["id"] },
  { name: "endpoints", from: "endpoints t WHERE t.app_id = ?1", key: ["id"] },
  { name: "messages", from: "messages t WHERE t.app_id = ?1", key: ["id"] },
  { name: "idempotency_keys", from: "idempotency_keys t WHERE t.app_id = ?1", key: ["key"] },
  { name: "attempt_log", from: "attempt_log t WHERE t.app_id = ?1", key: ["bucket", "id"] },
  {
    name: "open_deliveries",
    from: "open_deliveries t WHERE t.app_id = ?1",
    key: ["endpoint_id", "message_id"],
  },
  {
    name: "dead_letters",
    from: "dead_letters t WHERE t.app_id = ?1",
    key: ["message_id", "endpoint_id"],
  },
  { name: "operator_events", from: "operator_events t WHERE t.app_id = ?1", key: ["id"] },
  { name: "audit_log", from: "audit_log t WHERE t.app_id = ?1", key: ["id"] },
];

/** Most characters of row JSON bound to one insert statement (well under D1's value limit). */
const INSERT_CHARS = 400_000;

/** Where a move stands: the table being copied and the key of the last row copied from it. */
export interface MoveCursor {
  table: number;
  after: unknown[] | null;
  copied: number;
}

/**
 * Copies the next chunk of an app's rows (up to `limit`) and returns the cursor after it
 * (`done` once every table is copied).
 */
export async function copyChunk(
  from: D1Database,
  to: D1Database,
  appId: string,
  cursor: MoveCursor,
  limit: number,
): Promise<MoveCursor & { done: boolean }> {
  const table = APP_TABLES[cursor.table];
  if (!table) return { ...cursor, done: true };
  const keys = table.key.map((k) => `t.${k}`).join(", ");
  const after = cursor.after
    ? ` AND (${keys}) > (${table.key.map((_, i) => `?${i + 3}`).join(", ")})`
    : "";
  const { results } = await from
    .prepare(`SELECT t.* FROM ${table.from}${after} ORDER BY ${keys} LIMIT ?2`)
    .bind(appId, limit, ...(cursor.after ?? []))
    .all<Record<string, unknown>>();
  const first = results[0];
  if (first) {
    const columns = Object.keys(first);
    const insert = `INSERT OR IGNORE INTO ${table.name} (${columns.join(", ")})
      SELECT ${columns.map((c) => `value ->> '${c}'`).join(", ")} FROM json_each(?)`;
    const statements: D1PreparedStatement[] = [];
    let chunk: Record<string, unknown>[] = [];
    let size = 0;
    const flush = () => {
      if (chunk.length === 0) return;
      statements.push(to.prepare(insert).bind(JSON.stringify(chunk)));
      chunk = [];
      size = 0;
    };
    for (const row of results) {
      const length = JSON.stringify(row).length;
      if (size + length > INSERT_CHARS) flush();
      chunk.push(row);
      size += length;
    }
    flush();
    await to.batch(statements);
  }
  const copied = cursor.copied + results.length;
  const last = results[results.length - 1];
  if (results.length < limit || !last) {
    const next = cursor.table + 1;
    return { table: next, after: null, copied, done: next >= APP_TABLES.length };
  }
  return { table: cursor.table, after: table.key.map((k) => last[k]), copied, done: false };
}
