import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import {
  type AppRow,
  deleteApp,
  getApp,
  insertApp,
  listAppsOfShards,
  toApp,
  updateAppStatement,
} from "../../db/apps";
import {
  deleteDirectoryEntry,
  insertDirectoryEntry,
  retireApp,
  setDirectoryUid,
  writeDirectoryAndShard,
} from "../../db/directory";
import { revokeAppPortalSessions, setPortalFrameOrigins } from "../../db/portal-sessions";
import { forgetIngestLimit } from "../../ingest/rate-limit";
import { newId } from "../../lib/ids";
import { placeNewApp, shardDb, shardDbs } from "../../lib/topology";
import {
  AppParams,
  jsonRequest,
  jsonResponse,
  PageQuery,
  pageOf,
  problems,
} from "../../schemas/common";
import { portalOriginsColumn } from "../../schemas/portal";
import { App, AppCreate, AppUpdate } from "../../schemas/resources";
import { audit, auditIfChanged } from "../audit";
import { evictAuthCaches, requireAdmin } from "../auth";
import type { AppEnv } from "../context";
import { decodeCursor, toPage } from "../cursor";
import { conflict, invalid, notFound } from "../problem";
import { validationHook } from "../validation";

/** Tenants: admin only. */
export const apps = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
apps.use("/v1/apps", requireAdmin);
apps.use("/v1/apps/:appId", requireAdmin);

const tags = ["Apps"];

apps.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps",
    operationId: "createApp",
    tags,
    summary: "Create an app (tenant)",
    request: jsonRequest(AppCreate),
    responses: { 201: jsonResponse("Created", App), ...problems(401, 403, 409, 415, 422) },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const now = Date.now();
    const id = newId("app", now);
    const count = shardDbs(c.env).length;
    if (body.shard !== undefined && body.shard >= count)
      throw invalid(`This deployment has ${count} shard(s), numbered 0 to ${count - 1}.`, [
        { field: "/shard", detail: `must be below ${count}` },
      ]);
    const shard = body.shard ?? placeNewApp(id, count);
    const db = shardDb(c.env, shard);
    c.set("db", db);
    const row = {
      id,
      name: body.name,
      uid: body.uid ?? null,
      ingest_rate_limit: body.ingestRateLimit ?? null,
      max_endpoints: body.maxEndpoints ?? null,
      portal_origins: portalOriginsColumn(body.portalOrigins),
      ce_source: body.ceSource ?? null,
      created_at: now,
      updated_at: now,
    };
    const entry = {
      appId: id,
      shard,
      pinned: body.shard !== undefined,
      uid: row.uid,
      createdAt: now,
    };
    try {
      await writeDirectoryAndShard(
        c.env.DB,
        db,
        [insertDirectoryEntry(c.env.DB, entry)],
        [insertApp(db, row), audit(c, row.id, "create", "app", row.id)],
      );
    } catch (err) {
      if (String(err).includes("UNIQUE")) throw conflict(`An app with uid "${body.uid}" exists.`);
      // The shard refused after the directory took the app: take it back out.
      if (db !== c.env.DB)
        await deleteDirectoryEntry(c.env.DB, id)
          .run()
          .catch(() => undefined);
      throw err;
    }
    return c.json(toApp(row, shard), 201);
  },
);

apps.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps",
    operationId: "listApps",
    tags,
    summary: "List apps",
    request: { query: PageQuery },
    responses: { 200: jsonResponse("A page of apps", pageOf(App)), ...problems(400, 401, 403) },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const merged = await listAppsOfShards(shardDbs(c.env), c.env.DB, limit, decodeCursor(cursor));
    return c.json(
      toPage(
        merged,
        limit,
        (r) => r.row.id,
        (r) => toApp(r.row, r.shard),
      ),
      200,
    );
  },
);

apps.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}",
    operationId: "getApp",
    tags,
    summary: "Get an app",
    request: { params: AppParams },
    responses: { 200: jsonResponse("The app", App), ...problems(401, 403, 404) },
  }),
  async (c) => {
    const row = await getApp(c.var.db, c.req.valid("param").appId);
    if (!row) throw notFound("App");
    return c.json(toApp(row, c.var.placement.shard), 200);
  },
);

apps.openapi(
  createRoute({
    method: "patch",
    path: "/v1/apps/{appId}",
    operationId: "updateApp",
    tags,
    summary: "Update an app",
    request: { params: AppParams, ...jsonRequest(AppUpdate) },
    responses: { 200: jsonResponse("The app", App), ...problems(401, 403, 404, 409, 415, 422) },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    const body = c.req.valid("json");
    const db = c.var.db;
    const now = Date.now();
    const { portalOrigins, ...rest } = body;
    const origins = portalOrigins === undefined ? undefined : portalOriginsColumn(portalOrigins);
    let row: AppRow | undefined;
    try {
      const [updated] = await writeDirectoryAndShard<AppRow>(
        c.env.DB,
        db,
        [
          ...(body.uid !== undefined ? [setDirectoryUid(c.env.DB, appId, body.uid)] : []),
          // Open portal sessions read their framing origins from their own row (in DB).
          ...(origins !== undefined ? [setPortalFrameOrigins(c.env.DB, appId, origins, now)] : []),
        ],
        [
          updateAppStatement(db, appId, { ...rest, portalOrigins: origins }, now),
          auditIfChanged(c, appId, "update", "app", appId, { fields: Object.keys(body) }),
        ],
      );
      row = updated?.results[0];
    } catch (err) {
      if (String(err).includes("UNIQUE")) throw conflict(`An app with uid "${body.uid}" exists.`);
      throw err;
    }
    if (!row) throw notFound("App");
    forgetIngestLimit(row.id);
    return c.json(toApp(row, c.var.placement.shard), 200);
  },
);

apps.openapi(
  createRoute({
    method: "delete",
    path: "/v1/apps/{appId}",
    operationId: "deleteApp",
    tags,
    summary: "Delete an app and everything in it",
    request: { params: AppParams },
    responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    // The trail outlives the app: it says who deleted it.
    // The directory first: from then on no key opens the app and no new lookup finds it.
    const now = Date.now();
    const retired = await retireApp(c.env.DB, appId, now);
    // Its customers' portal sessions end with it ("session ended", not a page of 404s).
    await revokeAppPortalSessions(c.env.DB, appId, now);
    const keyHashes = await deleteApp(c.var.db, appId, now, [
      auditIfChanged(c, appId, "delete", "app", appId),
    ]);
    if (!keyHashes) throw notFound("App");
    // Its keys were deleted with it; a cached key must not keep reaching a deleted app.
    for (const hash of [...retired, ...keyHashes]) evictAuthCaches(hash);
    evictAuthCaches(undefined, appId);
    return c.body(null, 204);
  },
);
