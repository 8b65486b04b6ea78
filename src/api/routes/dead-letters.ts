import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  countDeadLetters,
  getDeadLetter,
  listDeadLetters,
  toDeadLetter,
} from "../../db/dead-letters";
import { getReplay, recordReplayStatements, replayProgress } from "../../db/replays";
import { restartDeliveries } from "../../deadletters/replay";
import { deliveryId, newId, parseDeliveryId } from "../../lib/ids";
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
  reason: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: "The reason, or how it starts (e.g. `target_refused`)." }),
  since: Time.optional().openapi({ description: "Dead at or after this time." }),
  until: Time.optional().openapi({ description: "Dead before this time." }),
});
const BulkReplay = DeadLetterFilter.extend({
  limit: z.number().int().min(1).max(BULK_LIMIT_MAX).default(100),
}).strict();
const ms = (t: string | undefined) => (t === undefined ? undefined : Date.parse(t));
const filterOf = (appId: string, f: z.infer<typeof DeadLetterFilter>) => ({
  appId,
  endpointId: f.endpointId,
  reason: f.reason,
  since: ms(f.since),
  until: ms(f.until),
});
/** Counts past this answer "at least" (a confirmation needs no exact figure). */
const COUNT_CAP = 1000;
const BulkReplayed = Restarted.extend({
  replayId: z.string().openapi({
    description:
      "Read the replayed deliveries' progress at GET .../dead-letters/replays/{replayId}.",
  }),
}).openapi("BulkReplayed");
const ReplayProgress = z
  .object({
    id: z.string(),
    createdAt: z.string(),
    total: z.number().int(),
    pending: z.number().int(),
    retrying: z.number().int(),
    succeeded: z.number().int(),
    dead: z.number().int(),
    other: z.number().int().openapi({ description: "Ended otherwise (endpoint or message gone)." }),
    done: z.boolean().openapi({ description: "No replayed delivery is pending or retrying." }),
  })
  .openapi("ReplayProgress");

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
    operationId: "listDeadLetters",
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
      filterOf(appId, q),
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
    operationId: "replayDeadLetters",
    tags: ["Dead letters"],
    summary: "Replay dead letters in bulk (by endpoint and time, at most `limit` per call)",
    request: { params: AppParams, ...jsonRequest(BulkReplay) },
    responses: {
      202: jsonResponse("Restarted", BulkReplayed),
      ...problems(400, 401, 404, 415, 422),
    },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    const body = c.req.valid("json");
    const rows = await listDeadLetters(c.var.db, filterOf(appId, body), body.limit, null);
    const chosen = rows.slice(0, body.limit).map((r) => ({
      appId,
      messageId: r.message_id,
      endpointId: r.endpoint_id,
    }));
    const now = Date.now();
    const restarted = await restartDeliveries(c.env, c.var.db, chosen, now);
    // A replay id is a time-sortable id of its own kind.
    const replayId = `rpl_${newId("aud", now).slice(4)}`;
    await c.var.db.batch([
      ...recordReplayStatements(c.var.db, appId, replayId, chosen, now),
      audit(c, appId, "replay", "dead_letter", undefined, { ...body, restarted, replayId }),
    ]);
    return c.json({ restarted, more: rows.length > body.limit, replayId }, 202);
  },
);

deadLetters.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/dead-letters/{deliveryId}/replay",
    operationId: "replayDeadLetter",
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

deadLetters.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/dead-letters/count",
    operationId: "countDeadLetters",
    tags: ["Dead letters"],
    summary: `How many dead letters match a filter, counting up to ${COUNT_CAP} ("at least" beyond)`,
    request: { params: AppParams, query: DeadLetterFilter },
    responses: {
      200: jsonResponse(
        "The count",
        z.object({ count: z.number().int(), atLeast: z.boolean(), cap: z.number().int() }),
      ),
      ...problems(400, 401, 404),
    },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    const found = await countDeadLetters(
      c.var.db,
      filterOf(appId, c.req.valid("query")),
      COUNT_CAP,
    );
    return c.json({ ...found, cap: COUNT_CAP }, 200);
  },
);

deadLetters.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/dead-letters/replays/{replayId}",
    operationId: "getReplay",
    tags: ["Dead letters"],
    summary: "A bulk replay's progress: its deliveries pending, retrying, succeeded, dead again",
    description: "Kept for a day after the replay.",
    request: {
      params: AppParams.extend({
        replayId: idParam("rpl").openapi({ param: { name: "replayId", in: "path" } }),
      }),
    },
    responses: { 200: jsonResponse("Progress", ReplayProgress), ...problems(400, 401, 404) },
  }),
  async (c) => {
    const { appId, replayId } = c.req.valid("param");
    const row = await getReplay(c.var.db, appId, replayId);
    if (!row) throw notFound("Replay");
    const p = await replayProgress(c.var.db, row);
    return c.json(
      {
        id: row.id,
        createdAt: new Date(row.created_at).toISOString(),
        ...p,
        done: p.pending + p.retrying === 0,
      },
      200,
    );
  },
);
