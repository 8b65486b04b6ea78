import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { getMessage, listMessages, toMessage } from "../../db/messages";
import { acceptMessage } from "../../ingest/accept";
import { checkIngestRate } from "../../ingest/rate-limit";
import { rawMember } from "../../lib/raw-json";
import { MOVE_RETRY_AFTER_S } from "../../lib/topology";
import {
  AppParams,
  EventTypeName,
  jsonRequest,
  jsonResponse,
  PageQuery,
  pageOf,
  problems,
} from "../../schemas/common";
import { IdempotencyHeader, Message, MessageCreate, MessageParams } from "../../schemas/messages";
import { archivedMessage, markArchived, toArchivedMessage } from "../archived";
import type { AppEnv } from "../context";
import { decodeCursor, toPage } from "../cursor";
import { exactJson } from "../exact-json";
import { ApiError, notFound } from "../problem";
import { validationHook } from "../validation";

/** Ingest and the message log. */
export const messages = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
const tags = ["Messages"];

messages.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/messages",
    tags,
    summary: "Send a message: durable in D1 before the 202, then fanned out to matching endpoints",
    description:
      "The same `Idempotency-Key` header (or, without one, the same `eventId`) in one app answers the first message again, with header `idempotent-replayed: true`, and never creates a second.",
    request: { params: AppParams, headers: IdempotencyHeader, ...jsonRequest(MessageCreate) },
    responses: {
      202: jsonResponse("Accepted", Message),
      ...problems(400, 401, 404, 409, 413, 415, 422, 429),
    },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    const body = c.req.valid("json");
    const headerKey = c.req.valid("header")["idempotency-key"];
    if (c.var.placement.moving)
      throw new ApiError(
        503,
        "Service Unavailable",
        "This app is being moved to another shard; send again shortly.",
        undefined,
        { "retry-after": String(MOVE_RETRY_AFTER_S) },
      );
    await checkIngestRate(c.env, c.var.db, appId);
    // The payload is stored and sent as the sender wrote it: big integers, long decimals and
    // all. The parsed copy is only for validation.
    const rawPayload = rawMember(await c.req.text(), "payload") ?? JSON.stringify(body.payload);
    const accepted = await acceptMessage(c.env, c.var.db, {
      appId,
      eventType: body.eventType,
      payload: body.payload,
      rawPayload,
      eventId: body.eventId,
      idempotencyKey: headerKey ?? body.eventId,
    });
    if (accepted.replayed) c.header("idempotent-replayed", "true");
    return c.json(toMessage(accepted.row, accepted.deliveries), 202);
  },
);

messages.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/messages",
    tags,
    summary: "List messages, newest first, with each endpoint's delivery status",
    request: {
      params: AppParams,
      query: PageQuery.extend({
        eventType: EventTypeName.optional().openapi({ param: { name: "eventType", in: "query" } }),
      }),
    },
    responses: {
      200: jsonResponse("A page of messages", pageOf(Message)),
      ...problems(400, 401, 404),
    },
  }),
  async (c) => {
    const { limit, cursor, eventType } = c.req.valid("query");
    const rows = await listMessages(
      c.var.db,
      c.req.valid("param").appId,
      limit,
      decodeCursor(cursor),
      eventType ?? null,
    );
    // Payloads as their senders wrote them: big integers and long decimals intact.
    return exactJson(
      (payload) =>
        toPage(
          rows,
          limit,
          (r) => r.row.id,
          (r) => toMessage(r.row, r.deliveries, payload),
        ),
      200,
    );
  },
);

messages.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/messages/{messageId}",
    tags,
    summary: "Get a message with each endpoint's delivery status",
    description:
      "A message past D1_RETENTION_DAYS is read from the R2 archive while it holds it (ARCHIVE_RETENTION_DAYS): the same shape with `archived: true` and the header `hooklane-archived: true`, its deliveries as they were when it was archived.",
    request: { params: MessageParams },
    responses: { 200: jsonResponse("The message", Message), ...problems(400, 401, 404) },
  }),
  async (c) => {
    const { appId, messageId } = c.req.valid("param");
    const found = await getMessage(c.var.db, appId, messageId);
    if (found) return exactJson((payload) => toMessage(found.row, found.deliveries, payload), 200);
    // Past D1_RETENTION_DAYS a message lives on in the R2 archive, read back as it was archived.
    const archived = await archivedMessage(c.env, appId, messageId);
    if (!archived) throw notFound("Message");
    return markArchived(exactJson((payload) => toArchivedMessage(archived, appId, payload), 200));
  },
);
