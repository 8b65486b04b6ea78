import type { MiddlewareHandler } from "hono";
import { hasAuditTrail } from "../db/audit";
import { findKeyEntry } from "../db/directory";
import { forgetPlacement, MOVE_RETRY_AFTER_S, placementsOf, shardDb } from "../lib/topology";
import { TtlCache } from "../lib/ttl-cache";
import { matchesToken, sha256Hex, timingSafeEqualText } from "../security/tokens";
import type { Actor, AppEnv } from "./context";
import { ApiError, forbidden, notFound, unauthorized } from "./problem";

/** Key hash -> key; a deleted key may keep working in another isolate for up to this TTL. */
const keyCache = new TtlCache<{ appId: string; keyId: string; hash: string }>(30_000, 10_000);

/** Forget cached lookups after a key or app is deleted in this isolate. */
export function evictAuthCaches(keyHash?: string, appId?: string): void {
  if (keyHash) keyCache.delete(keyHash);
  if (appId) forgetPlacement(appId);
}

/**
 * Requests the dashboard and the portal make to this API inside the isolate, with the actor
 * their cookie session stands for. Keyed by the Request object itself, which never leaves the
 * isolate, so no header or body from the network can claim an actor this way.
 */
const inProcessActors = new WeakMap<Request, Actor>();

/** Marks an in-isolate request as made by `actor` (see {@link inProcessActors}). */
export function actAs(request: Request, actor: Actor): Request {
  inProcessActors.set(request, actor);
  return request;
}

/**
 * Resolves the caller to an actor: an in-isolate request's own (see {@link actAs}), or
 * `Authorization: Bearer`; 401 when missing or unknown.
 */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const inProcess = inProcessActors.get(c.req.raw);
  if (inProcess) {
    c.set("actor", inProcess);
    return next();
  }
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S{1,512})$/i.exec(header.trim());
  const token = match?.[1];
  if (!token) throw unauthorized();
  let actor: Actor | null = null;
  if (token.startsWith("hk_")) {
    const hash = await sha256Hex(token);
    let key = keyCache.get(hash);
    if (!key) {
      const row = await findKeyEntry(c.env.DB, hash);
      if (row) {
        key = { appId: row.app_id, keyId: row.key_id, hash: row.token_hash };
        keyCache.set(hash, key);
      }
    }
    // The lookup is by hash; compare the stored hash in constant time as well.
    if (key && timingSafeEqualText(key.hash, hash))
      actor = { kind: "app", appId: key.appId, keyId: key.keyId };
  } else if (c.env.ADMIN_TOKEN && (await matchesToken(token, c.env.ADMIN_TOKEN))) {
    actor = { kind: "admin" };
  }
  if (!actor) throw unauthorized("The bearer token is not valid.");
  c.set("actor", actor);
  await next();
};

/**
 * A deleted app's audit trail stays readable by the operator (it says who deleted the app):
 * `GET /v1/apps/{appId}/audit` for an app that is gone but left a trail.
 */
async function isDeletedAppTrail(
  db: D1Database,
  method: string,
  path: string,
  appId: string,
): Promise<boolean> {
  return method === "GET" && path === `/v1/apps/${appId}/audit` && (await hasAuditTrail(db, appId));
}

/** Only the operator may pass (tenant management, API keys). */
export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.get("actor").kind !== "admin") throw forbidden("This route needs the admin token.");
  await next();
};

/**
 * Scopes `/v1/apps/{appId}/...` to the caller: an app key reaches only its own app and any
 * other id answers 404 (never 403, so ids do not leak); the admin reaches apps that exist.
 * Then finds the app's shard in the directory: the route's queries go there (`c.var.db`).
 */
export const requireAppAccess: MiddlewareHandler<AppEnv> = async (c, next) => {
  const appId = c.req.param("appId");
  if (!appId) throw notFound("App");
  const actor = c.get("actor");
  if (actor.kind === "app" && actor.appId !== appId) throw notFound("App");
  const placement = (await placementsOf(c.env, [appId])).get(appId);
  if (!placement) throw notFound("App");
  const db = shardDb(c.env, placement.shard);
  if (
    placement.deleted &&
    !(actor.kind === "admin" && (await isDeletedAppTrail(db, c.req.method, c.req.path, appId)))
  )
    throw notFound("App");
  // While an app is copied to another shard, nothing may change it on the old one.
  if (placement.moving && !["GET", "HEAD"].includes(c.req.method) && !c.req.path.endsWith("/move"))
    throw new ApiError(
      503,
      "Service Unavailable",
      "This app is being moved to another shard; try again shortly.",
      undefined,
      { "retry-after": String(MOVE_RETRY_AFTER_S) },
    );
  c.set("db", db);
  c.set("placement", placement);
  await next();
};
