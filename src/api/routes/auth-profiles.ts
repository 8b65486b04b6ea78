import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import {
  currentSecret,
  deleteAuthProfileStatement,
  getAuthProfile,
  insertAuthProfile,
  insertProfileSecret,
  listAuthProfiles,
  profileUsage,
  rotateStatements,
  toAuthProfile,
  updateAuthProfileStatement,
} from "../../db/auth-profiles";
import { newId } from "../../lib/ids";
import {
  AppParams,
  jsonRequest,
  jsonResponse,
  PageQuery,
  pageOf,
  problems,
} from "../../schemas/common";
import {
  AuthProfile,
  AuthProfileCreate,
  AuthProfileParams,
  AuthProfileRotate,
  AuthProfileUpdate,
  secretProblem,
} from "../../schemas/resources";
import { makeProfileSecret, openProfileSecret } from "../../security/profile-secrets";
import { audit, auditIfChanged } from "../audit";
import type { AppEnv } from "../context";
import { decodeCursor, toPage } from "../cursor";
import { conflict, invalid, notFound } from "../problem";
import { validationHook } from "../validation";

/** Most rotated-out secrets a profile keeps (each also expires after its grace period). */
const KEEP_OLD_SECRETS = 10;

/** Reusable signing/auth profiles: one secret shared by many endpoints. */
export const authProfiles = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
const tags = ["Auth profiles"];

function checkSupplied(
  type: "hmac-sha256" | "ed25519" | "bearer",
  secret: string | undefined,
): void {
  if (secret === undefined) return;
  const problem = secretProblem(type, secret);
  if (problem)
    throw invalid("The secret is not acceptable.", [{ field: "secret", detail: problem }]);
}

authProfiles.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/auth-profiles",
    operationId: "createAuthProfile",
    tags,
    summary: "Create an auth profile (the secret is returned once)",
    request: { params: AppParams, ...jsonRequest(AuthProfileCreate) },
    responses: { 201: jsonResponse("Created", AuthProfile), ...problems(401, 404, 413, 415, 422) },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    const body = c.req.valid("json");
    checkSupplied(body.type, body.secret);
    const now = Date.now();
    const row = {
      id: newId("ap", now),
      app_id: appId,
      type: body.type,
      name: body.name ?? null,
      private: 0,
      created_at: now,
      updated_at: now,
    };
    const made = await makeProfileSecret(c.env, row.id, body.type, body.secret, now);
    await c.var.db.batch([
      insertAuthProfile(c.var.db, row),
      insertProfileSecret(c.var.db, made.row),
      audit(c, appId, "create", "auth_profile", row.id, { type: row.type }),
    ]);
    return c.json(toAuthProfile(row, made.publicKey, made.secret), 201);
  },
);

authProfiles.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/auth-profiles",
    operationId: "listAuthProfiles",
    tags,
    summary: "List auth profiles (never their secrets)",
    request: { params: AppParams, query: PageQuery },
    responses: {
      200: jsonResponse("A page of profiles", pageOf(AuthProfile)),
      ...problems(400, 401, 404),
    },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listAuthProfiles(
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
        (r) => toAuthProfile(r, r.public_key),
      ),
      200,
    );
  },
);

authProfiles.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/auth-profiles/{profileId}",
    operationId: "getAuthProfile",
    tags,
    summary: "Get an auth profile (no secret)",
    request: { params: AuthProfileParams },
    responses: { 200: jsonResponse("The profile", AuthProfile), ...problems(400, 401, 404) },
  }),
  async (c) => {
    const { appId, profileId } = c.req.valid("param");
    const row = await getAuthProfile(c.var.db, appId, profileId);
    if (!row) throw notFound("Auth profile");
    return c.json(toAuthProfile(row, row.public_key), 200);
  },
);

authProfiles.openapi(
  createRoute({
    method: "patch",
    path: "/v1/apps/{appId}/auth-profiles/{profileId}",
    operationId: "updateAuthProfile",
    tags,
    summary: "Rename an auth profile",
    request: { params: AuthProfileParams, ...jsonRequest(AuthProfileUpdate) },
    responses: {
      200: jsonResponse("The profile", AuthProfile),
      ...problems(400, 401, 404, 415, 422),
    },
  }),
  async (c) => {
    const { appId, profileId } = c.req.valid("param");
    const body = c.req.valid("json");
    if (body.name !== undefined) {
      const [renamed] = await c.var.db.batch([
        updateAuthProfileStatement(c.var.db, appId, profileId, body.name, Date.now()),
        auditIfChanged(c, appId, "update", "auth_profile", profileId, { fields: ["name"] }),
      ]);
      if ((renamed?.results.length ?? 0) === 0) throw notFound("Auth profile");
    }
    const row = await getAuthProfile(c.var.db, appId, profileId);
    if (!row) throw notFound("Auth profile");
    return c.json(toAuthProfile(row, row.public_key), 200);
  },
);

authProfiles.openapi(
  createRoute({
    method: "delete",
    path: "/v1/apps/{appId}/auth-profiles/{profileId}",
    operationId: "deleteAuthProfile",
    tags,
    summary: "Delete an auth profile no endpoint uses",
    request: { params: AuthProfileParams },
    responses: { 204: { description: "Deleted" }, ...problems(400, 401, 404, 409) },
  }),
  async (c) => {
    const { appId, profileId } = c.req.valid("param");
    const row = await getAuthProfile(c.var.db, appId, profileId);
    if (!row) throw notFound("Auth profile");
    const used = await profileUsage(c.var.db, profileId);
    if (used > 0)
      throw conflict(`The profile is used by ${used} endpoint(s); point them elsewhere first.`);
    await c.var.db.batch([
      deleteAuthProfileStatement(c.var.db, appId, profileId),
      auditIfChanged(c, appId, "delete", "auth_profile", profileId),
    ]);
    return c.body(null, 204);
  },
);

authProfiles.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/auth-profiles/{profileId}/rotate",
    operationId: "rotateAuthProfileSecret",
    tags,
    summary: "Rotate the secret; the old one keeps signing for the grace period",
    request: {
      params: AuthProfileParams,
      body: { required: false, content: { "application/json": { schema: AuthProfileRotate } } },
    },
    responses: {
      200: jsonResponse("The profile with its new secret", AuthProfile),
      ...problems(400, 401, 404, 415, 422),
    },
  }),
  async (c) => {
    const { appId, profileId } = c.req.valid("param");
    const body = AuthProfileRotate.parse((c.req.valid("json") as unknown) ?? {});
    const row = await getAuthProfile(c.var.db, appId, profileId);
    if (!row) throw notFound("Auth profile");
    checkSupplied(row.type, body.secret);
    const now = Date.now();
    const made = await makeProfileSecret(c.env, profileId, row.type, body.secret, now);
    await c.var.db.batch([
      ...rotateStatements(c.var.db, made.row, now, body.graceSeconds * 1000, KEEP_OLD_SECRETS),
      audit(c, appId, "rotate", "auth_profile", profileId, { graceSeconds: body.graceSeconds }),
    ]);
    return c.json(toAuthProfile(row, made.publicKey, made.secret), 200);
  },
);

authProfiles.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/auth-profiles/{profileId}/reveal",
    operationId: "revealAuthProfileSecret",
    tags,
    summary: "Reveal the current secret",
    request: { params: AuthProfileParams },
    responses: {
      200: jsonResponse("The profile with its secret", AuthProfile),
      ...problems(400, 401, 404),
    },
  }),
  async (c) => {
    const { appId, profileId } = c.req.valid("param");
    const row = await getAuthProfile(c.var.db, appId, profileId);
    if (!row) throw notFound("Auth profile");
    const secret = await currentSecret(c.var.db, profileId);
    if (!secret) throw notFound("Auth profile secret");
    await audit(c, appId, "reveal", "auth_profile", profileId).run();
    return c.json(toAuthProfile(row, row.public_key, await openProfileSecret(c.env, secret)), 200);
  },
);
