import {
  type AuditAction,
  type AuditEntry,
  auditIfChangedStatement,
  auditStatement,
} from "../db/audit";
import { actorName, type Ctx } from "./context";

function entry(
  c: Ctx,
  appId: string,
  action: AuditAction,
  resourceType: string,
  resourceId?: string,
  detail?: Record<string, unknown>,
): AuditEntry {
  return { appId, actor: actorName(c.get("actor")), action, resourceType, resourceId, detail };
}

/** The audit statement for a change made by this request's caller. */
export function audit(
  c: Ctx,
  appId: string,
  action: AuditAction,
  resourceType: string,
  resourceId?: string,
  detail?: Record<string, unknown>,
) {
  return auditStatement(c.env.DB, entry(c, appId, action, resourceType, resourceId, detail));
}

/**
 * Like {@link audit}, for a batch whose previous statement is an update or delete that may find
 * nothing: the entry is written only when that statement changed a row.
 */
export function auditIfChanged(
  c: Ctx,
  appId: string,
  action: AuditAction,
  resourceType: string,
  resourceId?: string,
  detail?: Record<string, unknown>,
) {
  return auditIfChangedStatement(
    c.env.DB,
    entry(c, appId, action, resourceType, resourceId, detail),
  );
}
