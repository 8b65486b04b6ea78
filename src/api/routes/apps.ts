import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import {
  type AppRow,
  deleteApp,
  getApp,
  insertApp,
  listApps,
  toApp,
  updateAppStatement,
} from "../../db/apps";
import { forgetIngestLimit } from "../../ingest/rate-limit";
import { newId } from "../../lib/ids";
import {
  AppParams,
  jsonRequest,
  jsonResponse,
  PageQuery,
  pageOf,
  problems,
} from "../../schemas/common";
import { App, AppCreate, AppUpdate } from "../../schemas/resources";
import { audit, auditIfChanged } from "../audit";
import { evictAuthCaches, requireAdmin } from "../auth";
import type { AppEnv } from "../context";
import { decodeCursor, toPage } from "../cursor";
import { conflict, notFound } from "../problem";
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
    tags,
    summary: "Create an app (tenant)",
    request: jsonRequest(AppCreate),
    responses: { 201: jsonResponse("Created", App), ...problems(401, 403, 409, 415, 422) },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const now = Date.now();
    const row = {
      id: newId("app", now),
      name: body.name,
      uid: body.uid ?? null,
      ingest_rate_limit: body.ingestRateLimit ?? null,
      created_at: now,
      updated_at: now,
    };
    try {
      await c.env.DB.batch([insertApp(c.env.DB, row), audit(c, row.id, "create", "app", row.id)]);
    } catch (err) {
      if (String(err).includes("UNIQUE")) throw conflict(`An app with uid "${body.uid}" exists.`);
      throw err;
    }
    return c.json(toApp(row), 201);
  },
);

apps.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps",
    tags,
    summary: "List apps",
    request: { query: PageQuery },
    responses: { 200: jsonResponse("A page of apps", pageOf(App)), ...problems(400, 401, 403) },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listApps(c.env.DB, limit, decodeCursor(cursor));
    return c.json(
      toPage(rows, limit, (r) => r.id, toApp),
      200,
    );
  },
);

apps.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}",
    tags,
    summary: "Get an app",
    request: { params: AppParams },
    responses: { 200: jsonResponse("The app", App), ...problems(401, 403, 404) },
  }),
  async (c) => {
    const row = await getApp(c.env.DB, c.req.valid("param").appId);
    if (!row) throw notFound("App");
    return c.json(toApp(row), 200);
  },
);

apps.openapi(
  createRoute({
    method: "patch",
    path: "/v1/apps/{appId}",
    tags,
    summary: "Update an app",
    request: { params: AppParams, ...jsonRequest(AppUpdate) },
    responses: { 200: jsonResponse("The app", App), ...problems(401, 403, 404, 409, 415, 422) },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    const body = c.req.valid("json");
    let row: AppRow | undefined;
    try {
      const [updated] = await c.env.DB.batch<AppRow>([
        updateAppStatement(c.env.DB, appId, body, Date.now()),
        auditIfChanged(c, appId, "update", "app", appId, { fields: Object.keys(body) }),
      ]);
      row = updated?.results[0];
    } catch (err) {
      if (String(err).includes("UNIQUE")) throw conflict(`An app with uid "${body.uid}" exists.`);
      throw err;
    }
    if (!row) throw notFound("App");
    forgetIngestLimit(row.id);
    return c.json(toApp(row), 200);
  },
);

apps.openapi(
  createRoute({
    method: "delete",
    path: "/v1/apps/{appId}",
    tags,
    summary: "Delete an app and everything in it",
    request: { params: AppParams },
    responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    // The trail outlives the app: it says who deleted it.
    const keyHashes = await deleteApp(c.env.DB, appId, Date.now(), [
      auditIfChanged(c, appId, "delete", "app", appId),
    ]);
    if (!keyHashes) throw notFound("App");
    // Its keys were deleted with it; a cached key must not keep reaching a deleted app.
    for (const hash of keyHashes) evictAuthCaches(hash);
    evictAuthCaches(undefined, appId);
    return c.body(null, 204);
  },
);
