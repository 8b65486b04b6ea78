import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import {
  attemptId,
  listEndpointAttempts,
  listMessageAttempts,
  toAttempt,
} from "../../db/attempt-log";
import { getEndpoint } from "../../db/endpoints";
import { getMessageRow } from "../../db/messages";
import { jsonResponse, PageQuery, pageOf, problems } from "../../schemas/common";
import { Attempt, MessageParams } from "../../schemas/messages";
import { EndpointParams } from "../../schemas/resources";
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
    if (!(await getMessageRow(c.var.db, appId, messageId))) throw notFound("Message");
    const rows = await listMessageAttempts(c.var.db, appId, messageId, limit, decodeCursor(cursor));
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
