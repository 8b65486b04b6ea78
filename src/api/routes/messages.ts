import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { getMessage, SEARCH_SCAN_ROWS, searchMessages, toMessage } from "../../db/messages";
import { iso } from "../../db/page";
import { acceptMessage } from "../../ingest/accept";
import { checkIngestRate } from "../../ingest/rate-limit";
import { timeOfId } from "../../lib/ids";
import { rawMember } from "../../lib/raw-json";
import { MOVE_RETRY_AFTER_S } from "../../lib/topology";
import {
  AppParams,
  EventTypeName,
  idParam,
  jsonRequest,
  jsonResponse,
  PageQuery,
  pageOf,
  problems,
} from "../../schemas/common";
import {
  DELIVERY_STATUSES,
  IdempotencyHeader,
  Message,
  MessageCreate,
  MessageParams,
} from "../../schemas/messages";
import { archivedMessage, markArchived, toArchivedMessage } from "../archived";
import type { AppEnv } from "../context";
import { decodeCursor, encodeCursor } from "../cursor";
import { exactJson } from "../exact-json";
import { ApiError, notFound } from "../problem";
import { validationHook } from "../validation";
import { Time } from "./restart";

/** Ingest and the message log. */
export const messages = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
const tags = ["Messages"];

messages.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/messages",
    operationId: "sendMessage",
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

const query = (name: string) => ({ param: { name, in: "query" as const } });
const MessageSearchQuery = PageQuery.extend({
  eventType: EventTypeName.optional().openapi(query("eventType")),
  status: z
    .enum(DELIVERY_STATUSES)
    .optional()
    .openapi({ ...query("status"), description: "Messages with a delivery in this status." }),
  endpointId: idParam("ep")
    .optional()
    .openapi({ ...query("endpointId"), description: "Messages fanned out to this endpoint." }),
  after: Time.optional().openapi({ ...query("after"), description: "Created at or after." }),
  before: Time.optional().openapi({ ...query("before"), description: "Created before." }),
});
const MessagePage = pageOf(Message).extend({
  scanned: z
    .object({
      rows: z.number().int(),
      through: z.string().openapi({ description: "Creation time of the oldest message read." }),
    })
    .optional()
    .openapi({
      description: `Present when a filtered page stopped at its scan bound (${SEARCH_SCAN_ROWS} messages read) before it filled: \`nextCursor\` continues the search below \`through\`.`,
    }),
});
const ms = (t: string | undefined) => (t === undefined ? undefined : Date.parse(t));

messages.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/messages",
    operationId: "listMessages",
    tags,
    summary: "Search messages, newest first, with each endpoint's delivery status",
    description: `A time range (\`after\`, \`before\`) seeks on message ids. \`eventType\`, \`endpointId\` and \`status\` have no index: a page reads at most ${SEARCH_SCAN_ROWS} messages (and, by status, the histories of at most about 5,000 deliveries), and when that leaves it short it answers what matched with \`scanned\` and a \`nextCursor\` to continue. Nothing counts all messages.`,
    request: { params: AppParams, query: MessageSearchQuery },
    responses: {
      200: jsonResponse("A page of messages", MessagePage),
      ...problems(400, 401, 404),
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const page = await searchMessages(
      c.var.db,
      c.req.valid("param").appId,
      q.limit,
      decodeCursor(q.cursor),
      {
        eventType: q.eventType,
        endpointId: q.endpointId,
        status: q.status,
        after: ms(q.after),
        before: ms(q.before),
      },
    );
    // Payloads as their senders wrote them: big integers and long decimals intact.
    return exactJson(
      (payload) => ({
        data: page.rows.map((r) => toMessage(r.row, r.deliveries, payload)),
        nextCursor: page.next === null ? null : encodeCursor(page.next),
        ...(page.scanned
          ? {
              scanned: {
                rows: page.scanned.rows,
                through: iso(timeOfId(page.scanned.oldest)),
              },
            }
          : {}),
      }),
      200,
    );
  },
);

messages.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/messages/{messageId}",
    operationId: "getMessage",
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
