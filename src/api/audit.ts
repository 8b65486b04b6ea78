import {
  type AuditAction,
  type AuditEntry,
  auditIfChangedStatement,
  auditStatement,
} from "../db/audit";
import { actorName, type Ctx } from "./context";

/** What an audit call names: the app, the action, the resource and optional detail. */
type AuditArgs = [
  appId: string,
  action: AuditAction,
  resourceType: string,
  resourceId?: string,
  detail?: Record<string, unknown>,
];

function entry(
  c: Ctx,
  ...[appId, action, resourceType, resourceId, detail]: AuditArgs
): AuditEntry {
  return { appId, actor: actorName(c.get("actor")), action, resourceType, resourceId, detail };
}

/** The audit statement for a change made by this request's caller. */
export function audit(c: Ctx, ...args: AuditArgs) {
  return auditStatement(c.var.db, entry(c, ...args));
}

/**
 * Like {@link audit}, for a batch whose previous statement is an update or delete that may find
 * nothing: the entry is written only when that statement changed a row.
 */
export function auditIfChanged(c: Ctx, ...args: AuditArgs) {
  return auditIfChangedStatement(c.var.db, entry(c, ...args));
}
