import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { deleteApiKeyStatement, insertApiKey, listApiKeys, toApiKey } from "../../db/api-keys";
import { deleteKeyEntry, insertKeyEntry } from "../../db/directory";
import { newId } from "../../lib/ids";
import {
  AppParams,
  jsonRequest,
  jsonResponse,
  PageQuery,
  pageOf,
  problems,
} from "../../schemas/common";
import { ApiKey, ApiKeyCreate, KeyParams } from "../../schemas/resources";
import { newApiKeyToken, sha256Hex } from "../../security/tokens";
import { audit, auditIfChanged } from "../audit";
import { evictAuthCaches, requireAdmin } from "../auth";
import type { AppEnv } from "../context";
import { decodeCursor, toPage } from "../cursor";
import { notFound } from "../problem";
import { validationHook } from "../validation";

/** App API keys: minted by the operator, shown once, stored as SHA-256. */
export const apiKeys = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
apiKeys.use("/v1/apps/:appId/api-keys", requireAdmin);
apiKeys.use("/v1/apps/:appId/api-keys/*", requireAdmin);

const tags = ["API keys"];

apiKeys.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/api-keys",
    operationId: "createApiKey",
    tags,
    summary: "Create an API key for an app (the token is shown once)",
    request: { params: AppParams, ...jsonRequest(ApiKeyCreate) },
    responses: { 201: jsonResponse("Created", ApiKey), ...problems(401, 403, 404, 415, 422) },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    const body = c.req.valid("json");
    const token = newApiKeyToken();
    const now = Date.now();
    const row = {
      id: newId("key", now),
      app_id: appId,
      name: body.name ?? null,
      token_hash: await sha256Hex(token),
      created_at: now,
    };
    const db = c.var.db;
    const shardStatements = [insertApiKey(db, row), audit(c, appId, "create", "api_key", row.id)];
    const entry = insertKeyEntry(c.env.DB, {
      token_hash: row.token_hash,
      app_id: appId,
      key_id: row.id,
    });
    // The shard's row first: a key the directory knows is always one the app can list and revoke.
    if (db === c.env.DB) await db.batch([...shardStatements, entry]);
    else {
      await db.batch(shardStatements);
      await entry.run();
    }
    return c.json(toApiKey(row, token), 201);
  },
);

apiKeys.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/api-keys",
    operationId: "listApiKeys",
    tags,
    summary: "List an app's API keys (never their tokens)",
    request: { params: AppParams, query: PageQuery },
    responses: {
      200: jsonResponse("A page of keys", pageOf(ApiKey)),
      ...problems(400, 401, 403, 404),
    },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listApiKeys(
      c.var.db,
      c.req.valid("param").appId,
      limit,
      decodeCursor(cursor),
    );
    return c.json(
      toPage(
        rows,
        limit,
        (r) => r.id,
        (r) => toApiKey(r),
      ),
      200,
    );
  },
);

apiKeys.openapi(
  createRoute({
    method: "delete",
    path: "/v1/apps/{appId}/api-keys/{keyId}",
    operationId: "deleteApiKey",
    tags,
    summary: "Revoke an API key",
    request: { params: KeyParams },
    responses: { 204: { description: "Revoked" }, ...problems(401, 403, 404) },
  }),
  async (c) => {
    const { appId, keyId } = c.req.valid("param");
    const db = c.var.db;
    const [deleted] = await db.batch<{ token_hash: string }>([
      deleteApiKeyStatement(db, appId, keyId),
      auditIfChanged(c, appId, "delete", "api_key", keyId),
    ]);
    const hash = deleted?.results[0]?.token_hash;
    if (hash) await deleteKeyEntry(c.env.DB, hash).run();
    if (!hash) throw notFound("API key");
    evictAuthCaches(hash);
    return c.body(null, 204);
  },
);
