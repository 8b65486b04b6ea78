import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { settings } from "../../config";
import { getDirectoryEntry, startMove } from "../../db/directory";
import type { MoveCursor } from "../../db/move";
import { APP_TABLES } from "../../db/move";
import { forgetPlacement, shardDb, shardDbs } from "../../lib/topology";
import { AppParams, jsonRequest, jsonResponse, problems } from "../../schemas/common";
import { moveFenceMs } from "../../sweeper/moves";
import { requireAdmin } from "../auth";
import type { AppEnv } from "../context";
import { conflict, invalid, notFound } from "../problem";
import { validationHook } from "../validation";

/** Moving an app to another D1 shard, with its history: operator only. */
export const moves = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
moves.use("/v1/apps/:appId/move", requireAdmin);

const tags = ["Apps"];

const MoveCreate = z
  .object({ shard: z.number().int().min(0).max(63).openapi({ description: "The target shard." }) })
  .strict();

const MoveStatus = z
  .object({
    appId: z.string(),
    shard: z.number().int().openapi({ description: "Where the app's data is read from now." }),
    moving: z.boolean(),
    to: z.number().int().optional(),
    state: z.enum(["fencing", "copying"]).optional().openapi({
      description:
        "fencing: every isolate learns of the move and work in flight finishes; copying: rows are copied table by table.",
    }),
    since: z.string().optional(),
    copyStartsAt: z.string().optional(),
    table: z.string().optional().openapi({ description: "The table being copied." }),
    rowsCopied: z.number().int().optional(),
  })
  .openapi("MoveStatus");

moves.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/move",
    operationId: "moveApp",
    tags,
    summary: "Move an app to another shard, with its history",
    description:
      "Answers 202 at once; the sweeper copies the app after a fence and then switches it over. Meanwhile ingest and changes to the app answer 503 with Retry-After, deliveries wait, and reads are served from the old shard.",
    request: { params: AppParams, ...jsonRequest(MoveCreate) },
    responses: {
      202: jsonResponse("The move started", MoveStatus),
      ...problems(401, 403, 404, 409, 415, 422),
    },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    const { shard } = c.req.valid("json");
    const count = shardDbs(c.env).length;
    if (shard >= count)
      throw invalid(`This deployment has ${count} shard(s), numbered 0 to ${count - 1}.`, [
        { field: "/shard", detail: `must be below ${count}` },
      ]);
    if (c.var.placement.shard === shard && !c.var.placement.moving)
      throw conflict(`The app already lives on shard ${shard}.`);
    // A copy the app left there when it moved away, not purged yet, would swallow this one:
    // rows already there are kept (the copy inserts or ignores), then purged with the old copy.
    const left = await shardDb(c.env, shard)
      .prepare("SELECT 1 AS x FROM apps WHERE id = ?")
      .bind(appId)
      .first();
    if (left)
      throw conflict(
        `The app's previous copy on shard ${shard} is still being purged; try again in a few minutes.`,
      );
    if (!(await startMove(c.env.DB, appId, shard, Date.now())))
      throw conflict("The app is being moved already.");
    forgetPlacement(appId);
    return c.json(await status(c.env, appId), 202);
  },
);

moves.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/move",
    operationId: "getAppMove",
    tags,
    summary: "Where an app lives, and how far its move got",
    request: { params: AppParams },
    responses: { 200: jsonResponse("The app's placement", MoveStatus), ...problems(401, 403, 404) },
  }),
  async (c) => c.json(await status(c.env, c.req.valid("param").appId), 200),
);

async function status(env: Env, appId: string): Promise<z.infer<typeof MoveStatus>> {
  const row = await getDirectoryEntry(env.DB, appId);
  if (!row) throw notFound("App");
  if (row.moving_to === null || row.moving_since === null)
    return { appId, shard: row.shard, moving: false };
  const copyStartsAt = row.moving_since + moveFenceMs(settings(env));
  const cursor = row.move_cursor ? (JSON.parse(row.move_cursor) as MoveCursor) : null;
  return {
    appId,
    shard: row.shard,
    moving: true,
    to: row.moving_to,
    state: cursor ? "copying" : "fencing",
    since: new Date(row.moving_since).toISOString(),
    copyStartsAt: new Date(copyStartsAt).toISOString(),
    ...(cursor
      ? { table: APP_TABLES[cursor.table]?.name ?? "done", rowsCopied: cursor.copied }
      : {}),
  };
}
