import { parseBatch } from "../schemas/batch";
import type { DeliveryFormat } from "../schemas/formats";
import { iso } from "./page";

export interface EndpointRow {
  id: string;
  app_id: string;
  url: string;
  description: string | null;
  event_types: string;
  auth_profile_id: string;
  headers: string | null;
  rate_limit: number | null;
  max_concurrency: number | null;
  success_rule: "2xx" | "200";
  ordering: "none" | "fifo";
  format: DeliveryFormat;
  /** The payload filter as compact JSON, numbers as written; null: none. */
  filter: string | null;
  disabled: number;
  disabled_reason: string | null;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
  /**
   * The JSONata transform (src/transform/); null or absent: none. Written by its own statement
   * (`setTransformStatement`), so rows built without it keep their shape.
   */
  transform?: string | null;
  /** Batching as compact JSON (schemas/batch.ts); null or absent: none. Own statement too. */
  batch?: string | null;
}

/**
 * Row to API shape. `exact` puts the stored filter text in as it is (see api/exact-json.ts), so
 * its big numbers read back unrounded; without it the filter is shown parsed.
 */
export function toEndpoint(
  row: EndpointRow,
  secret?: string,
  exact?: (raw: string) => Record<string, unknown>,
) {
  return {
    id: row.id,
    url: row.url,
    ...(row.description ? { description: row.description } : {}),
    eventTypes: JSON.parse(row.event_types) as string[],
    authProfileId: row.auth_profile_id,
    ...(row.headers ? { headers: JSON.parse(row.headers) as Record<string, string> } : {}),
    ...(row.rate_limit !== null ? { rateLimit: row.rate_limit } : {}),
    ...(row.max_concurrency !== null ? { maxConcurrency: row.max_concurrency } : {}),
    successRule: row.success_rule,
    ordering: row.ordering,
    format: row.format,
    ...(row.filter !== null
      ? { filter: exact ? exact(row.filter) : (JSON.parse(row.filter) as Record<string, unknown>) }
      : {}),
    disabled: row.disabled === 1,
    ...(row.disabled_reason ? { disabledReason: row.disabled_reason } : {}),
    ...(row.disabled_at !== null ? { disabledAt: iso(row.disabled_at) } : {}),
    ...(row.transform ? { transform: row.transform } : {}),
    ...(row.batch ? { batch: parseBatch(row.batch) ?? undefined } : {}),
    ...(secret ? { secret } : {}),
    createdAt: iso(row.created_at),
  };
}

const COLUMNS =
  "id, app_id, url, description, event_types, auth_profile_id, headers, rate_limit, max_concurrency, success_rule, ordering, disabled, disabled_reason, disabled_at, created_at, updated_at, format, filter";

export function insertEndpoint(db: D1Database, row: EndpointRow) {
  return db
    .prepare(
      `INSERT INTO endpoints (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      row.id,
      row.app_id,
      row.url,
      row.description,
      row.event_types,
      row.auth_profile_id,
      row.headers,
      row.rate_limit,
      row.max_concurrency,
      row.success_rule,
      row.ordering,
      row.disabled,
      row.disabled_reason,
      row.disabled_at,
      row.created_at,
      row.updated_at,
      row.format,
      row.filter,
    );
}

/** Writes every mutable column of an endpoint (updates read, merge, then write the row). */
export function updateEndpointStatement(db: D1Database, row: EndpointRow) {
  return db
    .prepare(
      `UPDATE endpoints SET url = ?, description = ?, event_types = ?, auth_profile_id = ?, headers = ?,
         rate_limit = ?, max_concurrency = ?, success_rule = ?, ordering = ?, disabled = ?,
         disabled_reason = ?, disabled_at = ?, updated_at = ?, format = ?, filter = ?
       WHERE id = ? AND app_id = ?`,
    )
    .bind(
      row.url,
      row.description,
      row.event_types,
      row.auth_profile_id,
      row.headers,
      row.rate_limit,
      row.max_concurrency,
      row.success_rule,
      row.ordering,
      row.disabled,
      row.disabled_reason,
      row.disabled_at,
      row.updated_at,
      row.format,
      row.filter,
      row.id,
      row.app_id,
    );
}

/** One endpoint of an app. */
export async function getEndpoint(db: D1Database, appId: string, id: string) {
  return db
    .prepare("SELECT * FROM endpoints WHERE id = ? AND app_id = ?")
    .bind(id, appId)
    .first<EndpointRow>();
}

/** Endpoints of an app, newest first. */
export async function listEndpoints(
  db: D1Database,
  appId: string,
  limit: number,
  before: string | null,
) {
  // '~' sorts after every id: the first page seeks like the others (see listApps).
  const { results } = await db
    .prepare(
      "SELECT * FROM endpoints WHERE app_id = ?1 AND id < coalesce(?2, '~') ORDER BY id DESC LIMIT ?3",
    )
    .bind(appId, before, limit + 1)
    .all<EndpointRow>();
  return results;
}

/** Enabled endpoints of an app with their filters: what ingest matches against. */
export async function enabledEndpointFilters(db: D1Database, appId: string) {
  const { results } = await db
    .prepare(
      "SELECT id, event_types, ordering, filter FROM endpoints WHERE app_id = ? AND disabled = 0 ORDER BY id",
    )
    .bind(appId)
    .all<Pick<EndpointRow, "id" | "event_types" | "ordering" | "filter">>();
  return results;
}

export function deleteEndpointStatement(db: D1Database, appId: string, id: string) {
  return db.prepare("DELETE FROM endpoints WHERE id = ? AND app_id = ?").bind(id, appId);
}

/** Disables an endpoint with a reason (410 Gone, auto-disable); no-op when already disabled. */
export function disableEndpointStatement(db: D1Database, id: string, reason: string, now: number) {
  return db
    .prepare(
      "UPDATE endpoints SET disabled = 1, disabled_reason = ?, disabled_at = ?, updated_at = ? WHERE id = ? AND disabled = 0",
    )
    .bind(reason, now, now, id);
}

/** How many endpoints an app has, and its own limit (null: the deployment's). */
export async function endpointRoom(
  db: D1Database,
  appId: string,
): Promise<{ count: number; limit: number | null }> {
  const row = await db
    .prepare(
      `SELECT (SELECT COUNT(*) FROM endpoints WHERE app_id = ?1) AS count,
              (SELECT max_endpoints FROM apps WHERE id = ?1) AS "limit"`,
    )
    .bind(appId)
    .first<{ count: number; limit: number | null }>();
  return row ?? { count: 0, limit: null };
}

/** Sets or clears an endpoint's transform (create and update add it to their batch when given). */
export function setTransformStatement(
  db: D1Database,
  appId: string,
  id: string,
  transform: string | null,
) {
  return db
    .prepare("UPDATE endpoints SET transform = ? WHERE id = ? AND app_id = ?")
    .bind(transform, id, appId);
}

/** Sets or clears an endpoint's batching (create and update add it to their batch when given). */
export function setBatchStatement(db: D1Database, appId: string, id: string, batch: string | null) {
  return db
    .prepare("UPDATE endpoints SET batch = ? WHERE id = ? AND app_id = ?")
    .bind(batch, id, appId);
}
