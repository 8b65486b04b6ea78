import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import {
  deleteEventTypeStatement,
  type EventTypeRow,
  getEventType,
  insertEventType,
  listEventTypes,
  toEventType,
  updateEventTypeStatement,
} from "../../db/event-types";
import { compileSchema, invalidateSchema } from "../../ingest/payload-schema";
import {
  AppParams,
  jsonRequest,
  jsonResponse,
  PageQuery,
  pageOf,
  problems,
} from "../../schemas/common";
import {
  EventType,
  EventTypeCreate,
  EventTypeParams,
  EventTypeUpdate,
} from "../../schemas/resources";
import { audit, auditIfChanged } from "../audit";
import type { AppEnv } from "../context";
import { decodeCursor, toPage } from "../cursor";
import { conflict, invalid, notFound } from "../problem";
import { validationHook } from "../validation";

/** Refuses a schema that cannot validate anything (an unresolvable `$ref`, say). */
function checkSchema(schema: Record<string, unknown>): void {
  try {
    compileSchema(schema);
  } catch (err) {
    const detail = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw invalid("The schema cannot be used.", [{ field: "schema", detail: detail ?? "" }]);
  }
}

/** The catalog of event types an app sends. */
export const eventTypes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
const tags = ["Event types"];

eventTypes.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/event-types",
    operationId: "createEventType",
    tags,
    summary: "Create an event type",
    request: { params: AppParams, ...jsonRequest(EventTypeCreate) },
    responses: {
      201: jsonResponse("Created", EventType),
      ...problems(401, 404, 409, 413, 415, 422),
    },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    const body = c.req.valid("json");
    if (body.schema) checkSchema(body.schema);
    const now = Date.now();
    const row = {
      app_id: appId,
      name: body.name,
      description: body.description ?? null,
      schema: body.schema ? JSON.stringify(body.schema) : null,
      created_at: now,
      updated_at: now,
    };
    try {
      await c.var.db.batch([
        insertEventType(c.var.db, row),
        audit(c, appId, "create", "event_type", row.name),
      ]);
    } catch (err) {
      if (String(err).includes("UNIQUE")) throw conflict(`Event type "${body.name}" exists.`);
      throw err;
    }
    invalidateSchema(appId, row.name);
    return c.json(toEventType(row), 201);
  },
);

eventTypes.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/event-types",
    operationId: "listEventTypes",
    tags,
    summary: "List event types by name",
    request: { params: AppParams, query: PageQuery },
    responses: {
      200: jsonResponse("A page of event types", pageOf(EventType)),
      ...problems(400, 401, 404),
    },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listEventTypes(
      c.var.db,
      c.req.valid("param").appId,
      limit,
      decodeCursor(cursor),
    );
    return c.json(
      toPage(rows, limit, (r) => r.name, toEventType),
      200,
    );
  },
);

eventTypes.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/event-types/{name}",
    operationId: "getEventType",
    tags,
    summary: "Get an event type",
    request: { params: EventTypeParams },
    responses: { 200: jsonResponse("The event type", EventType), ...problems(400, 401, 404) },
  }),
  async (c) => {
    const { appId, name } = c.req.valid("param");
    const row = await getEventType(c.var.db, appId, name);
    if (!row) throw notFound("Event type");
    return c.json(toEventType(row), 200);
  },
);

eventTypes.openapi(
  createRoute({
    method: "patch",
    path: "/v1/apps/{appId}/event-types/{name}",
    operationId: "updateEventType",
    tags,
    summary: "Update an event type",
    request: { params: EventTypeParams, ...jsonRequest(EventTypeUpdate) },
    responses: {
      200: jsonResponse("The event type", EventType),
      ...problems(400, 401, 404, 413, 415, 422),
    },
  }),
  async (c) => {
    const { appId, name } = c.req.valid("param");
    const body = c.req.valid("json");
    if (body.schema) checkSchema(body.schema);
    const [updated] = await c.var.db.batch<EventTypeRow>([
      updateEventTypeStatement(
        c.var.db,
        appId,
        name,
        {
          description: body.description,
          schema:
            body.schema === undefined
              ? undefined
              : body.schema === null
                ? null
                : JSON.stringify(body.schema),
        },
        Date.now(),
      ),
      auditIfChanged(c, appId, "update", "event_type", name, { fields: Object.keys(body) }),
    ]);
    const row = updated?.results[0];
    if (!row) throw notFound("Event type");
    invalidateSchema(appId, name);
    return c.json(toEventType(row), 200);
  },
);

eventTypes.openapi(
  createRoute({
    method: "delete",
    path: "/v1/apps/{appId}/event-types/{name}",
    operationId: "deleteEventType",
    tags,
    summary: "Delete an event type",
    request: { params: EventTypeParams },
    responses: { 204: { description: "Deleted" }, ...problems(400, 401, 404) },
  }),
  async (c) => {
    const { appId, name } = c.req.valid("param");
    const [deleted] = await c.var.db.batch([
      deleteEventTypeStatement(c.var.db, appId, name),
      auditIfChanged(c, appId, "delete", "event_type", name),
    ]);
    if ((deleted?.meta.changes ?? 0) === 0) throw notFound("Event type");
    invalidateSchema(appId, name);
    return c.body(null, 204);
  },
);
