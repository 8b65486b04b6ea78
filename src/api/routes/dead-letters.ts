import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { getDeadLetter, listDeadLetters, toDeadLetter } from "../../db/dead-letters";
import { restartDeliveries } from "../../deadletters/replay";
import { deliveryId, parseDeliveryId } from "../../lib/ids";
import {
  AppParams,
  idParam,
  jsonRequest,
  jsonResponse,
  PageQuery,
  pageOf,
  problems,
} from "../../schemas/common";
import { audit } from "../audit";
import type { AppEnv } from "../context";
import { decodeCursor, toPage } from "../cursor";
import { badRequest, notFound } from "../problem";
import { validationHook } from "../validation";
import { BULK_LIMIT_MAX, Restarted, Time } from "./restart";

/** Dead letters: list them, replay one or in bulk. */
export const deadLetters = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

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
const ms = (t: string | undefined) => (t === undefined ? undefined : Date.parse(t));

/** The delivery a dead-letter cursor points after. */
function deliveryCursor(cursor: string | undefined) {
  const key = decodeCursor(cursor);
  if (key === null) return null;
  const pair = parseDeliveryId(key);
  if (!pair)
    throw badRequest("The cursor is not one this API handed out.", [
      { field: "cursor", detail: "invalid cursor" },
    ]);
  return pair;
}

deadLetters.openapi(
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
      c.var.db,
      { appId, endpointId: q.endpointId, since: ms(q.since), until: ms(q.until) },
      q.limit,
      deliveryCursor(q.cursor),
    );
    return c.json(
      toPage(rows, q.limit, (r) => deliveryId(r.message_id, r.endpoint_id), toDeadLetter),
      200,
    );
  },
);

deadLetters.openapi(
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
      c.var.db,
      { appId, endpointId: body.endpointId, since: ms(body.since), until: ms(body.until) },
      body.limit,
      null,
    );
    const chosen = rows.slice(0, body.limit).map((r) => ({
      appId,
      messageId: r.message_id,
      endpointId: r.endpoint_id,
    }));
    const restarted = await restartDeliveries(c.env, c.var.db, chosen);
    await audit(c, appId, "replay", "dead_letter", undefined, { ...body, restarted }).run();
    return c.json({ restarted, more: rows.length > body.limit }, 202);
  },
);

deadLetters.openapi(
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
    const { appId, deliveryId: id } = c.req.valid("param");
    const pair = parseDeliveryId(id);
    const letter = pair && (await getDeadLetter(c.var.db, appId, pair.messageId, pair.endpointId));
    if (!pair || !letter) throw notFound("Dead letter");
    const restarted = await restartDeliveries(c.env, c.var.db, [{ appId, ...pair }]);
    await audit(c, appId, "replay", "dead_letter", id, { restarted }).run();
    return c.json({ restarted, more: false }, 202);
  },
);
