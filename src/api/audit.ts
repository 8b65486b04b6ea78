import { type AuditAction, auditStatement } from "../db/audit";
import { actorName, type Ctx } from "./context";

/** The audit statement for a change made by this request's caller. */
export function audit(
  c: Ctx,
  appId: string,
  action: AuditAction,
  resourceType: string,
  resourceId?: string,
  detail?: Record<string, unknown>,
) {
  return auditStatement(c.env.DB, {
    appId,
    actor: actorName(c.get("actor")),
    action,
    resourceType,
    resourceId,
    detail,
  });
}
