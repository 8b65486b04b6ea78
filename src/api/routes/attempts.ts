import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { toLoggedEntries } from "../../archive/format";
import { getApp } from "../../db/apps";
import {
  attemptId,
  entriesForMessagesStatement,
  type LoggedEntry,
  listEndpointAttempts,
  listMessageAttempts,
  loggedEntries,
  pageMessageAttempts,
  parseAttemptId,
  toAttempt,
} from "../../db/attempt-log";
import { profileWithSecrets } from "../../db/auth-profiles";
import { getEndpoint } from "../../db/endpoints";
import { getMessageRow } from "../../db/messages";
import { rebuildRequest } from "../../delivery/rebuild";
import { idParam, jsonResponse, PageQuery, pageOf, problems } from "../../schemas/common";
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
    operationId: "listMessageAttempts",
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
    operationId: "listEndpointAttempts",
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

const AttemptRequest = z
  .object({
    attemptId: z.string(),
    sent: z.boolean().openapi({
      description: "False when no request went out (the target was refused at send time).",
    }),
    method: z.literal("POST"),
    url: z.string(),
    headers: z.array(
      z.object({
        name: z.string(),
        value: z.string(),
        redacted: z.boolean().optional().openapi({ description: "A secret, replaced." }),
      }),
    ),
    body: z.string().openapi({ description: "The request body, byte for byte." }),
    signature: z.object({
      recomputed: z.boolean(),
      detail: z.string().openapi({ description: "How the signature shown was obtained." }),
    }),
    notes: z.array(z.string()).openapi({ description: "What may differ from what was sent." }),
  })
  .openapi("AttemptRequest");

attempts.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/messages/{messageId}/attempts/{attemptId}/request",
    operationId: "getAttemptRequest",
    tags: ["Attempts"],
    summary: "The request an attempt sent: body, headers and signature, rebuilt on read",
    description:
      "Sent headers are not stored (they would cost bytes per delivery). `webhook-timestamp` is the attempt's start second, which the log keeps exactly; `webhook-signature` is recomputed with the secrets of the endpoint's auth profile valid at that moment; bearer tokens are redacted. `notes` say when the endpoint or its profile changed after the attempt. Messages in D1 only (not the archive).",
    request: {
      params: MessageParams.extend({
        attemptId: idParam("att").openapi({ param: { name: "attemptId", in: "path" } }),
      }),
    },
    responses: {
      200: jsonResponse("The attempt's request", AttemptRequest),
      ...problems(400, 401, 404),
    },
  }),
  async (c) => {
    const { appId, messageId, attemptId: id } = c.req.valid("param");
    const message = await getMessageRow(c.var.db, appId, messageId);
    if (!message || !parseAttemptId(id)) throw notFound("Attempt");
    const logged = loggedEntries(
      await entriesForMessagesStatement(c.var.db, appId, [messageId]).all(),
    ).find((l) => l.entry[1] > 0 && attemptId(l.rowId, l.index) === id);
    if (!logged) throw notFound("Attempt");
    const endpoint = await getEndpoint(c.var.db, appId, logged.endpointId);
    const auth = endpoint
      ? await profileWithSecrets(c.var.db, appId, endpoint.auth_profile_id)
      : null;
    // Only a CloudEvents body names the app's source.
    const app =
      endpoint && endpoint.format !== "standard-webhooks" ? await getApp(c.var.db, appId) : null;
    return c.json(await rebuildRequest(c.env, id, logged, message, endpoint, auth, app), 200);
  },
);
