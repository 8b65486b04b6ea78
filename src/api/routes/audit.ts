import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { listAudit, toAudit } from "../../db/audit";
import { listOperatorEvents, toOperatorEvent } from "../../db/operator-events";
import { AppParams, jsonResponse, PageQuery, pageOf, problems } from "../../schemas/common";
import type { AppEnv } from "../context";
import { decodeCursor, toPage } from "../cursor";
import { validationHook } from "../validation";

/** What changed in an app and who changed it; what Hooklane did on its own. */
export const auditLog = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const AuditEntry = z
  .object({
    id: z.string(),
    actor: z.string().openapi({ description: '"admin" or the API key id that made the change.' }),
    action: z.enum(["create", "update", "delete", "rotate", "reveal", "replay", "recover"]),
    resourceType: z.string(),
    resourceId: z.string().optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
    createdAt: z.string(),
  })
  .openapi("AuditEntry");

auditLog.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/audit",
    operationId: "listAuditEntries",
    tags: ["Audit"],
    summary: "Every management change in an app (who, what, when), newest first",
    description:
      "The operator (admin token) can still read the trail of an app that was deleted; it says who deleted it.",
    request: { params: AppParams, query: PageQuery },
    responses: {
      200: jsonResponse("A page of audit entries", pageOf(AuditEntry)),
      ...problems(400, 401, 404),
    },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listAudit(c.var.db, c.req.valid("param").appId, limit, decodeCursor(cursor));
    return c.json(
      toPage(rows, limit, (r) => r.id, toAudit),
      200,
    );
  },
);

const OperatorEvent = z
  .object({
    id: z.string(),
    type: z.string().openapi({ description: 'What happened, e.g. "endpoint.disabled".' }),
    endpointId: z.string().optional(),
    detail: z.string().optional().openapi({ description: "Why, in words." }),
    createdAt: z.string(),
  })
  .openapi("OperatorEvent");

auditLog.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/operator-events",
    operationId: "listOperatorEvents",
    tags: ["Audit"],
    summary: "What Hooklane did on its own in an app (endpoint.disabled), newest first",
    description:
      "Endpoints disabled by a 410 Gone or by auto-disable, with the reason. The same events go to OPERATOR_APP_ID as messages when it is set.",
    request: { params: AppParams, query: PageQuery },
    responses: {
      200: jsonResponse("A page of operator events", pageOf(OperatorEvent)),
      ...problems(400, 401, 404),
    },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listOperatorEvents(
      c.var.db,
      c.req.valid("param").appId,
      limit,
      decodeCursor(cursor),
    );
    return c.json(
      toPage(rows, limit, (r) => r.id, toOperatorEvent),
      200,
    );
  },
);
