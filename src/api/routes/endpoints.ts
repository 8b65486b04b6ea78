import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { settings } from "../../config";
import {
  dropPrivateProfileIfUnused,
  getAuthProfile,
  insertAuthProfile,
  insertProfileSecret,
} from "../../db/auth-profiles";
import {
  deleteEndpointStatement,
  type EndpointRow,
  endpointRoom,
  getEndpoint,
  insertEndpoint,
  listEndpoints,
  setBatchStatement,
  setTransformStatement,
  toEndpoint,
  updateEndpointStatement,
} from "../../db/endpoints";
import { purgeJobStatement } from "../../db/purge";
import { invalidateEndpoints } from "../../ingest/endpoint-cache";
import { newId } from "../../lib/ids";
import { batchConflicts } from "../../schemas/batch";
import {
  AppParams,
  jsonRequest,
  jsonResponse,
  PageQuery,
  pageOf,
  problems,
} from "../../schemas/common";
import { Endpoint, EndpointCreate, EndpointParams, EndpointUpdate } from "../../schemas/resources";
import { checkResolvedHost } from "../../security/dns-guard";
import { checkCustomHeaders } from "../../security/header-guard";
import { makeProfileSecret } from "../../security/profile-secrets";
import { checkTargetUrl } from "../../security/url-guard";
import { audit } from "../audit";
import type { AppEnv, Ctx } from "../context";
import { decodeCursor, toPage } from "../cursor";
import { exactJson } from "../exact-json";
import { filterFromBody } from "../filter-input";
import { type FieldProblem, invalid, notFound } from "../problem";
import { validationHook } from "../validation";

/** Targets: a URL, the event types it takes, how requests are authenticated. */
export const endpoints = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
const tags = ["Endpoints"];

/** URL guard, header guard and profile reference: the checks zod cannot do alone. */
async function checkEndpoint(c: Ctx, appId: string, row: EndpointRow): Promise<void> {
  const problems: FieldProblem[] = await checkUrl(c, row.url);
  const profile = await getAuthProfile(c.var.db, appId, row.auth_profile_id);
  if (!profile)
    problems.push({ field: "authProfileId", detail: "No auth profile with this id in this app." });
  if (row.headers) {
    const headers = JSON.parse(row.headers) as Record<string, string>;
    problems.push(
      ...checkCustomHeaders(headers, { authSetsAuthorization: profile?.type === "bearer" }),
    );
  }
  if (problems.length > 0) throw invalid("The endpoint is not acceptable.", problems);
}

/**
 * The URL guard, then (in production) the target's DNS answers. A lookup that fails says
 * nothing: the endpoint is accepted and the send path asks again.
 */
async function checkUrl(c: Ctx, target: string): Promise<FieldProblem[]> {
  const cfg = settings(c.env);
  const url = checkTargetUrl(target, { allowInsecure: cfg.allowInsecureTargets });
  if (!url.ok) return [{ field: "url", detail: url.reason }];
  if (!cfg.dnsCheck) return [];
  const dns = await checkResolvedHost(url.url.hostname);
  return dns.ok === false ? [{ field: "url", detail: dns.reason }] : [];
}

endpoints.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/endpoints",
    operationId: "createEndpoint",
    tags,
    summary: "Create an endpoint (makes a private hmac-sha256 profile when none is given)",
    request: { params: AppParams, ...jsonRequest(EndpointCreate) },
    responses: { 201: jsonResponse("Created", Endpoint), ...problems(401, 404, 413, 415, 422) },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    const body = c.req.valid("json");
    // The cap on an app's fan-out is met here, when an endpoint is added, never at ingest.
    const room = await endpointRoom(c.var.db, appId);
    const most = room.limit ?? settings(c.env).maxEndpoints;
    if (room.count >= most)
      throw invalid(
        `This app has ${room.count} endpoints, its limit (maxEndpoints); the operator can raise it.`,
        [{ field: "maxEndpoints", detail: `at most ${most}` }],
      );
    const now = Date.now();
    const id = newId("ep", now);
    const statements: D1PreparedStatement[] = [];
    let secret: string | undefined;
    let profileId = body.authProfileId;
    if (!profileId) {
      profileId = newId("ap", now);
      const made = await makeProfileSecret(c.env, profileId, "hmac-sha256", undefined, now);
      secret = made.secret;
      statements.push(
        insertAuthProfile(c.var.db, {
          id: profileId,
          app_id: appId,
          type: "hmac-sha256",
          name: `endpoint ${id}`,
          private: 1,
          created_at: now,
          updated_at: now,
        }),
        insertProfileSecret(c.var.db, made.row),
      );
    }
    const row: EndpointRow = {
      id,
      app_id: appId,
      url: body.url,
      description: body.description ?? null,
      event_types: JSON.stringify(body.eventTypes),
      auth_profile_id: profileId,
      headers: body.headers ? JSON.stringify(body.headers) : null,
      rate_limit: body.rateLimit ?? null,
      max_concurrency: body.maxConcurrency ?? null,
      success_rule: body.successRule,
      ordering: body.ordering,
      format: body.format,
      filter: body.filter ? filterFromBody(await c.req.text()).column : null,
      disabled: body.disabled ? 1 : 0,
      disabled_reason: body.disabled ? "disabled by an operator" : null,
      disabled_at: body.disabled ? now : null,
      created_at: now,
      updated_at: now,
    };
    const batch = body.batch ? JSON.stringify(body.batch) : null;
    const conflicts = batchConflicts(batch, row.format, body.transform);
    if (conflicts.length > 0) throw invalid("The endpoint is not acceptable.", conflicts);
    if (body.authProfileId) await checkEndpoint(c, appId, row);
    else {
      // The private profile does not exist yet; check everything else against an hmac profile.
      const problems = await checkUrl(c, row.url);
      if (body.headers)
        problems.push(...checkCustomHeaders(body.headers, { authSetsAuthorization: false }));
      if (problems.length > 0) throw invalid("The endpoint is not acceptable.", problems);
    }
    statements.push(insertEndpoint(c.var.db, row));
    if (body.transform) {
      row.transform = body.transform;
      statements.push(setTransformStatement(c.var.db, appId, id, body.transform));
    }
    if (batch) {
      row.batch = batch;
      statements.push(setBatchStatement(c.var.db, appId, id, batch));
    }
    statements.push(audit(c, appId, "create", "endpoint", id));
    await c.var.db.batch(statements);
    invalidateEndpoints(appId);
    // The filter as stored: exact, big numbers included.
    return exactJson((exact) => toEndpoint(row, secret, exact), 201);
  },
);

endpoints.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/endpoints",
    operationId: "listEndpoints",
    tags,
    summary: "List endpoints",
    request: { params: AppParams, query: PageQuery },
    responses: {
      200: jsonResponse("A page of endpoints", pageOf(Endpoint)),
      ...problems(400, 401, 404),
    },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listEndpoints(
      c.var.db,
      c.req.valid("param").appId,
      limit,
      decodeCursor(cursor),
    );
    return exactJson(
      (exact) =>
        toPage(
          rows,
          limit,
          (r) => r.id,
          (r) => toEndpoint(r, undefined, exact),
        ),
      200,
    );
  },
);

endpoints.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/endpoints/{endpointId}",
    operationId: "getEndpoint",
    tags,
    summary: "Get an endpoint",
    request: { params: EndpointParams },
    responses: { 200: jsonResponse("The endpoint", Endpoint), ...problems(400, 401, 404) },
  }),
  async (c) => {
    const { appId, endpointId } = c.req.valid("param");
    const row = await getEndpoint(c.var.db, appId, endpointId);
    if (!row) throw notFound("Endpoint");
    return exactJson((exact) => toEndpoint(row, undefined, exact), 200);
  },
);

endpoints.openapi(
  createRoute({
    method: "patch",
    path: "/v1/apps/{appId}/endpoints/{endpointId}",
    operationId: "updateEndpoint",
    tags,
    summary: "Update an endpoint (disabled: false re-enables it)",
    request: { params: EndpointParams, ...jsonRequest(EndpointUpdate) },
    responses: {
      200: jsonResponse("The endpoint", Endpoint),
      ...problems(400, 401, 404, 413, 415, 422),
    },
  }),
  async (c) => {
    const { appId, endpointId } = c.req.valid("param");
    const body = c.req.valid("json");
    const old = await getEndpoint(c.var.db, appId, endpointId);
    if (!old) throw notFound("Endpoint");
    const now = Date.now();
    const pick = <T>(value: T | undefined, fallback: T): T =>
      value === undefined ? fallback : value;
    const disabled = body.disabled === undefined ? old.disabled : body.disabled ? 1 : 0;
    const row: EndpointRow = {
      ...old,
      url: pick(body.url, old.url),
      description: pick(body.description, old.description),
      event_types: body.eventTypes ? JSON.stringify(body.eventTypes) : old.event_types,
      auth_profile_id: pick(body.authProfileId, old.auth_profile_id),
      headers:
        body.headers === undefined
          ? old.headers
          : body.headers === null
            ? null
            : JSON.stringify(body.headers),
      rate_limit: pick(body.rateLimit, old.rate_limit),
      max_concurrency: pick(body.maxConcurrency, old.max_concurrency),
      success_rule: pick(body.successRule, old.success_rule),
      ordering: pick(body.ordering, old.ordering),
      format: pick(body.format, old.format),
      filter:
        body.filter === undefined
          ? old.filter
          : body.filter === null
            ? null
            : filterFromBody(await c.req.text()).column,
      disabled,
      disabled_reason:
        disabled === old.disabled
          ? old.disabled_reason
          : disabled
            ? "disabled by an operator"
            : null,
      disabled_at: disabled === old.disabled ? old.disabled_at : disabled ? now : null,
      updated_at: now,
    };
    const batch =
      body.batch === undefined ? (old.batch ?? null) : body.batch && JSON.stringify(body.batch);
    const conflicts = batchConflicts(
      batch,
      row.format,
      body.transform === undefined ? old.transform : body.transform,
    );
    if (conflicts.length > 0) throw invalid("The endpoint is not acceptable.", conflicts);
    await checkEndpoint(c, appId, row);
    const statements = [
      updateEndpointStatement(c.var.db, row),
      audit(c, appId, "update", "endpoint", endpointId, { fields: Object.keys(body) }),
    ];
    if (body.transform !== undefined) {
      row.transform = body.transform;
      statements.push(setTransformStatement(c.var.db, appId, endpointId, body.transform));
    }
    if (body.batch !== undefined) {
      row.batch = batch;
      statements.push(setBatchStatement(c.var.db, appId, endpointId, batch));
    }
    if (row.auth_profile_id !== old.auth_profile_id) {
      statements.push(dropPrivateProfileIfUnused(c.var.db, appId, old.auth_profile_id));
    }
    await c.var.db.batch(statements);
    invalidateEndpoints(appId);
    if (old.disabled === 1 && row.disabled === 0) {
      // A re-enabled endpoint starts over: closed breaker, no pause, fresh auto-disable window.
      await c.env.ENDPOINT_GATE.get(c.env.ENDPOINT_GATE.idFromName(endpointId)).reset();
    }
    return exactJson((exact) => toEndpoint(row, undefined, exact), 200);
  },
);

endpoints.openapi(
  createRoute({
    method: "delete",
    path: "/v1/apps/{appId}/endpoints/{endpointId}",
    operationId: "deleteEndpoint",
    tags,
    summary: "Delete an endpoint; its undelivered deliveries are cancelled",
    request: { params: EndpointParams },
    responses: { 204: { description: "Deleted" }, ...problems(400, 401, 404) },
  }),
  async (c) => {
    const { appId, endpointId } = c.req.valid("param");
    const row = await getEndpoint(c.var.db, appId, endpointId);
    if (!row) throw notFound("Endpoint");
    await c.var.db.batch([
      deleteEndpointStatement(c.var.db, appId, endpointId),
      // Its open deliveries go in the background (there may be millions); they read as
      // cancelled from now on.
      purgeJobStatement(c.var.db, "endpoint", endpointId, Date.now()),
      dropPrivateProfileIfUnused(c.var.db, appId, row.auth_profile_id),
      audit(c, appId, "delete", "endpoint", endpointId),
    ]);
    invalidateEndpoints(appId);
    return c.body(null, 204);
  },
);
