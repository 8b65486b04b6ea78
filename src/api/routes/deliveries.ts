import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { listAttempts, toAttempt } from "../../db/attempts";
import { listAudit, toAudit } from "../../db/audit";
import { deadLetterExists, listDeadLetters, toDeadLetter } from "../../db/dead-letters";
import { openDeliveryCount, recoverableDeliveryIds } from "../../db/deliveries";
import { getEndpoint } from "../../db/endpoints";
import { getMessage } from "../../db/messages";
import { listOperatorEvents, toOperatorEvent } from "../../db/operator-events";
import { decodeCursor, toPage } from "../../db/page";
import { restartAndEnqueue } from "../../deadletters/replay";
import {
  AppParams,
  idParam,
  jsonRequest,
  jsonResponse,
  PageQuery,
  pageOf,
  problems,
} from "../../schemas/common";
import { Attempt, MessageParams } from "../../schemas/messages";
import { EndpointParams } from "../../schemas/resources";
import { audit } from "../audit";
import type { AppEnv } from "../context";
import { notFound } from "../problem";
import { validationHook } from "../validation";

/** Most deliveries one bulk replay or recover call restarts; call again for the rest. */
export const BULK_LIMIT_MAX = 1000;

/** The delivery log and its operations: attempts, dead letters, replay, recover. */
export const deliveries = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const Time = z.iso.datetime({ offset: true });
const DeadLetter = z
  .object({
    deliveryId: z.string(),
    messageId: z.string(),
    endpointId: z.string(),
    reason: z.string(),
    attempts: z.number().int(),
    deadAt: z.string(),
  })
  .openapi("DeadLetter");
const DeadLetterFilter = z.object({
  endpointId: idParam("ep").optional(),
  since: Time.optional().openapi({ description: "Dead at or after this time." }),
  until: Time.optional().openapi({ description: "Dead before this time." }),
});
const BulkReplay = DeadLetterFilter.extend({
  limit: z.number().int().min(1).max(BULK_LIMIT_MAX).default(100),
}).strict();
const Recover = z
  .object({
    since: Time,
    limit: z.number().int().min(1).max(BULK_LIMIT_MAX).default(BULK_LIMIT_MAX),
  })
  .strict();
const Restarted = z
  .object({
    restarted: z.number().int(),
    more: z.boolean().openapi({ description: "More matched than were restarted." }),
  })
  .openapi("Restarted");
const ms = (t: string | undefined) => (t === undefined ? undefined : Date.parse(t));

deliveries.openapi(
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
    if (!(await getMessage(c.env.DB, appId, messageId))) throw notFound("Message");
    const rows = await listAttempts(c.env.DB, appId, { messageId }, limit, decodeCursor(cursor));
    return c.json(
      toPage(rows, limit, (r) => r.id, toAttempt),
      200,
    );
  },
);

deliveries.openapi(
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
    if (!(await getEndpoint(c.env.DB, appId, endpointId))) throw notFound("Endpoint");
    const rows = await listAttempts(c.env.DB, appId, { endpointId }, limit, decodeCursor(cursor));
    return c.json(
      toPage(rows, limit, (r) => r.id, toAttempt),
      200,
    );
  },
);

deliveries.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/dead-letters",
    tags: ["Dead letters"],
    summary: "Deliveries that ended dead, with their reason; filter by endpoint and time",
    request: { params: AppParams, query: PageQuery.extend(DeadLetterFilter.shape) },
    responses: {
      200: jsonResponse("A page of dead letters", pageOf(DeadLetter)),
      ...problems(400, 401, 404),
    },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    const q = c.req.valid("query");
    const rows = await listDeadLetters(
      c.env.DB,
      { appId, endpointId: q.endpointId, since: ms(q.since), until: ms(q.until) },
      q.limit,
      decodeCursor(q.cursor),
    );
    return c.json(
      toPage(rows, q.limit, (r) => r.delivery_id, toDeadLetter),
      200,
    );
  },
);

deliveries.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/dead-letters/replay",
    tags: ["Dead letters"],
    summary: "Replay dead letters in bulk (by endpoint and time, at most `limit` per call)",
    request: { params: AppParams, ...jsonRequest(BulkReplay) },
    responses: { 202: jsonResponse("Restarted", Restarted), ...problems(400, 401, 404, 415, 422) },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    const body = c.req.valid("json");
    const rows = await listDeadLetters(
      c.env.DB,
      { appId, endpointId: body.endpointId, since: ms(body.since), until: ms(body.until) },
      body.limit,
      null,
    );
    const chosen = rows.slice(0, body.limit).map((r) => r.delivery_id);
    const restarted = await restartAndEnqueue(c.env, chosen, ["dead"]);
    await audit(c, appId, "replay", "dead_letter", undefined, { ...body, restarted }).run();
    return c.json({ restarted, more: rows.length > body.limit }, 202);
  },
);

deliveries.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/dead-letters/{deliveryId}/replay",
    tags: ["Dead letters"],
    summary: "Replay one dead letter: a fresh attempt series with the same webhook-id",
    request: {
      params: AppParams.extend({
        deliveryId: idParam("dlv").openapi({ param: { name: "deliveryId", in: "path" } }),
      }),
    },
    responses: { 202: jsonResponse("Restarted", Restarted), ...problems(400, 401, 404) },
  }),
  async (c) => {
    const { appId, deliveryId } = c.req.valid("param");
    if (!(await deadLetterExists(c.env.DB, appId, deliveryId))) throw notFound("Dead letter");
    const restarted = await restartAndEnqueue(c.env, [deliveryId], ["dead"]);
    await audit(c, appId, "replay", "dead_letter", deliveryId, { restarted }).run();
    return c.json({ restarted, more: false }, 202);
  },
);

deliveries.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/endpoints/{endpointId}/recover",
    tags: ["Endpoints"],
    summary: "Re-send every failed or dead delivery of an endpoint since a time",
    request: { params: EndpointParams, ...jsonRequest(Recover) },
    responses: { 202: jsonResponse("Restarted", Restarted), ...problems(400, 401, 404, 415, 422) },
  }),
  async (c) => {
    const { appId, endpointId } = c.req.valid("param");
    const body = c.req.valid("json");
    if (!(await getEndpoint(c.env.DB, appId, endpointId))) throw notFound("Endpoint");
    const ids = await recoverableDeliveryIds(
      c.env.DB,
      endpointId,
      Date.parse(body.since),
      body.limit + 1,
    );
    const restarted = await restartAndEnqueue(c.env, ids.slice(0, body.limit), ["failed", "dead"]);
    await audit(c, appId, "recover", "endpoint", endpointId, {
      since: body.since,
      restarted,
    }).run();
    return c.json({ restarted, more: ids.length > body.limit }, 202);
  },
);

const Window = z.object({
  requests: z.number().int(),
  successRate: z.number().nullable(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
});
const Health = z
  .object({
    breaker: z.enum(["closed", "open", "half-open"]),
    consecutiveFailures: z.number().int(),
    nextProbeAt: z.string().nullable(),
    pausedUntil: z.string().nullable(),
    tokens: z.number().nullable().openapi({
      description:
        "Requests the pacer could still grant now (looking 2 s ahead); null = no rate limit.",
    }),
    inFlight: z.number().int(),
    lastHour: Window,
    lastDay: Window,
    lastSuccessAt: z.string().nullable(),
    waiting: z.number().int().openapi({ description: "Deliveries not finished yet." }),
    disabled: z.boolean(),
  })
  .openapi("EndpointHealth");

deliveries.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/endpoints/{endpointId}/health",
    tags: ["Endpoints"],
    summary: "Breaker state, rate-limit tokens, in-flight, success rate and latency, backlog",
    request: { params: EndpointParams },
    responses: { 200: jsonResponse("The endpoint's health", Health), ...problems(400, 401, 404) },
  }),
  async (c) => {
    const { appId, endpointId } = c.req.valid("param");
    const endpoint = await getEndpoint(c.env.DB, appId, endpointId);
    if (!endpoint) throw notFound("Endpoint");
    const stub = c.env.ENDPOINT_GATE.get(c.env.ENDPOINT_GATE.idFromName(endpointId));
    const [gate, waiting] = await Promise.all([
      stub.health(),
      openDeliveryCount(c.env.DB, endpointId),
    ]);
    return c.json({ ...gate, waiting, disabled: endpoint.disabled === 1 }, 200);
  },
);

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

deliveries.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/audit",
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
    const rows = await listAudit(c.env.DB, c.req.valid("param").appId, limit, decodeCursor(cursor));
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

deliveries.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/operator-events",
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
      c.env.DB,
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
