import { newId } from "../lib/ids";
import { iso } from "./page";

export interface AuditRow {
  id: string;
  app_id: string;
  actor: string;
  action: AuditAction;
  resource_type: string;
  resource_id: string | null;
  detail: string | null;
  created_at: number;
}

export type AuditAction =
  | "create"
  | "update"
  | "delete"
  | "rotate"
  | "reveal"
  | "replay"
  | "recover";

/** Row to API shape. */
export function toAudit(row: AuditRow) {
  return {
    id: row.id,
    actor: row.actor,
    action: row.action,
    resourceType: row.resource_type,
    ...(row.resource_id ? { resourceId: row.resource_id } : {}),
    ...(row.detail ? { detail: JSON.parse(row.detail) as Record<string, unknown> } : {}),
    createdAt: iso(row.created_at),
  };
}

export interface AuditEntry {
  appId: string;
  actor: string;
  action: AuditAction;
  resourceType: string;
  resourceId?: string;
  detail?: Record<string, unknown>;
}

/** An audit record, to be written in the same batch as the change it describes. */
export function auditStatement(db: D1Database, e: AuditEntry, now = Date.now()) {
  return bindAudit(
    db.prepare(
      "INSERT INTO audit_log (id, app_id, actor, action, resource_type, resource_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    e,
    now,
  );
}

/**
 * An audit record written only when the statement just before it in the same batch changed a
 * row (SQLite's `changes()`): an update or delete that found nothing leaves no trace, and one
 * that did is recorded in the same transaction.
 */
export function auditIfChangedStatement(db: D1Database, e: AuditEntry, now = Date.now()) {
  return bindAudit(
    db.prepare(
      "INSERT INTO audit_log (id, app_id, actor, action, resource_type, resource_id, detail, created_at) SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE changes() > 0",
    ),
    e,
    now,
  );
}

function bindAudit(statement: D1PreparedStatement, e: AuditEntry, now: number) {
  return statement.bind(
    newId("aud", now),
    e.appId,
    e.actor,
    e.action,
    e.resourceType,
    e.resourceId ?? null,
    e.detail ? JSON.stringify(e.detail) : null,
    now,
  );
}

/** An app's audit trail, newest first. */
export async function listAudit(
  db: D1Database,
  appId: string,
  limit: number,
  before: string | null,
) {
  // '~' sorts after every id: the first page seeks like the others (see listApps).
  const { results } = await db
    .prepare(
      "SELECT * FROM audit_log WHERE app_id = ?1 AND id < coalesce(?2, '~') ORDER BY id DESC LIMIT ?3",
    )
    .bind(appId, before, limit + 1)
    .all<AuditRow>();
  return results;
}

/** Whether any audit entry exists for an app id (the app itself may be gone). */
export async function hasAuditTrail(db: D1Database, appId: string): Promise<boolean> {
  const row = await db
    .prepare("SELECT 1 AS found FROM audit_log WHERE app_id = ? LIMIT 1")
    .bind(appId)
    .first<{ found: number }>();
  return row !== null;
}
