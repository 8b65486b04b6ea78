import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { toLoggedEntries } from "../../archive/format";
import {
  attemptId,
  type LoggedEntry,
  listEndpointAttempts,
  listMessageAttempts,
  pageMessageAttempts,
  toAttempt,
} from "../../db/attempt-log";
import { getEndpoint } from "../../db/endpoints";
import { getMessageRow } from "../../db/messages";
import { jsonResponse, PageQuery, pageOf, problems } from "../../schemas/common";
import { Attempt, MessageParams } from "../../schemas/messages";
import { EndpointParams } from "../../schemas/resources";
import { ARCHIVED_HEADER, archivedMessage } from "../archived";
import type { AppEnv } from "../context";
import { decodeCursor, toPage } from "../cursor";
import { notFound } from "../problem";
import { validationHook } from "../validation";

/** The attempt log, per message and per endpoint. */
export const attempts = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

attempts.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/messages/{messageId}/attempts",
    tags: ["Attempts"],
    summary: "Every attempt made for a message, newest first",
    request: { params: MessageParams, query: PageQuery },
    responses: {
      200: jsonResponse("A page of attempts", pageOf(Attempt)),
      ...problems(400, 401, 404),
    },
  }),
  async (c) => {
    const { appId, messageId } = c.req.valid("param");
    const { limit, cursor } = c.req.valid("query");
    let rows: LoggedEntry[];
    if (await getMessageRow(c.var.db, appId, messageId)) {
      rows = await listMessageAttempts(c.var.db, appId, messageId, limit, decodeCursor(cursor));
    } else {
      // Past D1_RETENTION_DAYS the attempts went to the R2 archive with their message.
      const archived = await archivedMessage(c.env, appId, messageId);
      if (!archived) throw notFound("Message");
      rows = pageMessageAttempts(toLoggedEntries(archived), limit, decodeCursor(cursor));
      c.header(ARCHIVED_HEADER, "true");
    }
    return c.json(
      toPage(rows, limit, (r) => attemptId(r.rowId, r.index), toAttempt),
      200,
    );
  },
);

attempts.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/endpoints/{endpointId}/attempts",
    tags: ["Attempts"],
    summary: "Every attempt made to an endpoint, newest first",
    request: { params: EndpointParams, query: PageQuery },
    responses: {
      200: jsonResponse("A page of attempts", pageOf(Attempt)),
      ...problems(400, 401, 404),
    },
  }),
  async (c) => {
    const { appId, endpointId } = c.req.valid("param");
    const { limit, cursor } = c.req.valid("query");
    if (!(await getEndpoint(c.var.db, appId, endpointId))) throw notFound("Endpoint");
    const rows = await listEndpointAttempts(
      c.var.db,
      appId,
      endpointId,
      limit,
      decodeCursor(cursor),
    );
    return c.json(
      toPage(rows, limit, (r) => attemptId(r.rowId, r.index), toAttempt),
      200,
    );
  },
);
