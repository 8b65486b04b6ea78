import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { getApp } from "../../db/apps";
import { insertPortalSession, revokeAppPortalSessions } from "../../db/portal-sessions";
import { randomBytes, toBase64Url } from "../../lib/encoding";
import { newId } from "../../lib/ids";
import { AppParams, jsonRequest, jsonResponse, problems } from "../../schemas/common";
import {
  PORTAL_CAPABILITIES,
  PORTAL_TTL_DEFAULT_S,
  PortalSession,
  PortalSessionCreate,
} from "../../schemas/portal";
import { sha256Hex } from "../../security/tokens";
import { audit } from "../audit";
import type { AppEnv } from "../context";
import { forbidden, notFound } from "../problem";
import { validationHook } from "../validation";

/** Where the portal is served; the one-time code follows in the fragment. */
export const PORTAL_PATH = "/portal";

/** The key id a portal session acts under, as the audit log records it. */
export function portalKeyId(sessionId: string): string {
  return `portal_${sessionId}`;
}

/** Consumer portal sessions: opened by the app's owner, for one of their customers. */
export const portalSessions = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
const tags = ["Consumer portal"];

// A portal page acts as its app; it must not mint or end sessions for itself.
portalSessions.use("/v1/apps/:appId/portal-sessions", async (c, next) => {
  const actor = c.get("actor");
  if (actor.kind === "app" && actor.keyId.startsWith("portal_"))
    throw forbidden("A portal session cannot manage portal sessions.");
  await next();
});

portalSessions.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/portal-sessions",
    operationId: "createPortalSession",
    tags,
    summary: "Open a consumer portal session (a one-time link for your customer)",
    description:
      "The answer's `url` carries a one-time code in its fragment: the portal trades it for a cookie session and clears it from the address bar. Capabilities default to all five; the session ends at `expiresAt` or when the app's sessions are revoked.",
    request: { params: AppParams, ...jsonRequest(PortalSessionCreate) },
    responses: {
      201: jsonResponse("Opened", PortalSession),
      ...problems(401, 403, 404, 415, 422),
    },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    const body = c.req.valid("json");
    const app = await getApp(c.var.db, appId);
    if (!app) throw notFound("App");
    const now = Date.now();
    const id = newId("ps", now);
    const code = toBase64Url(randomBytes(32));
    const expiresAt = now + (body.expiresIn ?? PORTAL_TTL_DEFAULT_S) * 1000;
    const capabilities = body.capabilities ?? [...PORTAL_CAPABILITIES];
    await insertPortalSession(
      c.env.DB,
      {
        id,
        app_id: appId,
        code_hash: await sha256Hex(code),
        cookie_hash: null,
        capabilities: JSON.stringify(capabilities),
        theme: body.theme ? JSON.stringify(body.theme) : null,
        frame_origins: app.portal_origins,
        csrf: toBase64Url(randomBytes(24)),
        created_at: now,
        expires_at: expiresAt,
        redeemed_at: null,
        revoked_at: null,
      },
      now,
    );
    await audit(c, appId, "create", "portal_session", id, {
      capabilities,
      expiresAt: new Date(expiresAt).toISOString(),
    }).run();
    const url = new URL(PORTAL_PATH, c.req.url);
    url.hash = `code=${code}`;
    return c.json(
      { url: url.toString(), expiresAt: new Date(expiresAt).toISOString(), sessionId: id },
      201,
    );
  },
);

portalSessions.openapi(
  createRoute({
    method: "delete",
    path: "/v1/apps/{appId}/portal-sessions",
    operationId: "revokePortalSessions",
    tags,
    summary: "Revoke every portal session of the app (open pages show that the session ended)",
    request: { params: AppParams },
    responses: { 204: { description: "Revoked" }, ...problems(401, 403, 404) },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    const revoked = await revokeAppPortalSessions(c.env.DB, appId, Date.now());
    await audit(c, appId, "delete", "portal_session", undefined, { revoked }).run();
    return c.body(null, 204);
  },
);
