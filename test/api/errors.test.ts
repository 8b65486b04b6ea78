import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { SCALAR_SCRIPT } from "../../src/api/docs-page";
import { deleteApp } from "../../src/db/apps";
import { sweep } from "../../src/sweeper/sweep";
import { call, newApp, newEndpoint } from "../helpers";
import { countFor, expectProblem, streamOf } from "./support";

interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { responses?: Record<string, { content?: object }> }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

/** The management routes and the methods each answers. */
const ROUTES: Record<string, string[]> = {
  "/v1/apps": ["get", "post"],
  "/v1/apps/{appId}": ["delete", "get", "patch"],
  "/v1/apps/{appId}/api-keys": ["get", "post"],
  "/v1/apps/{appId}/api-keys/{keyId}": ["delete"],
  "/v1/apps/{appId}/event-types": ["get", "post"],
  "/v1/apps/{appId}/event-types/{name}": ["delete", "get", "patch"],
  "/v1/apps/{appId}/auth-profiles": ["get", "post"],
  "/v1/apps/{appId}/auth-profiles/{profileId}": ["delete", "get", "patch"],
  "/v1/apps/{appId}/auth-profiles/{profileId}/rotate": ["post"],
  "/v1/apps/{appId}/auth-profiles/{profileId}/reveal": ["post"],
  "/v1/apps/{appId}/endpoints": ["get", "post"],
  "/v1/apps/{appId}/endpoints/{endpointId}": ["delete", "get", "patch"],
  "/v1/apps/{appId}/messages": ["get", "post"],
  "/v1/apps/{appId}/messages/{messageId}": ["get"],
  "/v1/apps/{appId}/archive": ["get"],
  "/v1/apps/{appId}/archive/{hour}": ["get"],
};

describe("service routes", () => {
  it("GET /healthz answers ok without a token", async () => {
    const res = await call("GET", "/healthz", { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, status: "ok", reasons: [] });
  });

  it("GET /openapi.json is an OpenAPI 3.1 document with every route", async () => {
    const res = await call<OpenApiDoc>("GET", "/openapi.json", { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.body.openapi).toBe("3.1.0");
    expect(res.body.info.title).toBe("Hooklane");
    for (const [path, methods] of Object.entries(ROUTES)) {
      expect(Object.keys(res.body.paths[path] ?? {}).sort(), path).toEqual(
        expect.arrayContaining(methods),
      );
    }
    expect(res.body.components.securitySchemes).toHaveProperty("bearer");
    for (const schema of [
      "App",
      "ApiKey",
      "EventType",
      "AuthProfile",
      "Endpoint",
      "Message",
      "Problem",
    ]) {
      expect(res.body.components.schemas, schema).toHaveProperty(schema);
    }
  });

  it("documents errors as application/problem+json", async () => {
    const res = await call<OpenApiDoc>("GET", "/openapi.json", { token: null });
    const ingest = res.body.paths["/v1/apps/{appId}/messages"]?.post;
    for (const status of ["401", "413", "415", "422"]) {
      expect(ingest?.responses?.[status]?.content, status).toHaveProperty(
        "application/problem+json",
      );
    }
  });

  it("GET /docs serves the Scalar reference from this origin only", async () => {
    const res = await call<string>("GET", "/docs", { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.body).toMatch(/^<!doctype html>/i);
    expect(res.body).toContain("<title>Hooklane API reference</title>");
    expect(res.body).toContain(`<script src="${SCALAR_SCRIPT}"`);
    expect(res.body).toContain('"url": "/openapi.json"');
    expect(res.body).toContain('"withDefaultFonts": false');
    // No absolute or protocol-relative URL: nothing is fetched from another origin.
    expect(res.body).not.toMatch(/https?:|["'(]\/\//);
    // Scripts run by nonce (the bundle and the call that starts it), nothing else inline.
    const csp = res.headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'self' 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(res.body.match(/<script\b[^>]*>/g)).toEqual([
      `<script src="${SCALAR_SCRIPT}" nonce="${nonce}">`,
      `<script type="text/javascript" nonce="${nonce}">`,
    ]);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
  });
});

describe("problem+json for every error", () => {
  it("answers 404 for an unknown route, with the path as instance", async () => {
    const res = await call("GET", "/nope", { token: null });
    const problem = expectProblem(res, 404);
    expect(problem).toMatchObject({
      type: "https://hooklane.dev/problems/not-found",
      title: "Not Found",
      instance: "/nope",
    });
    expect(problem.detail).toContain("/nope");
  });

  it("answers 404 for an unknown /v1 route once authenticated, 401 before", async () => {
    expectProblem(await call("GET", "/v1/nope"), 404);
    expectProblem(await call("GET", "/v1/nope", { token: null }), 401);
  });

  it("answers 404 for an unknown sub-resource of an app", async () => {
    const { appId, key } = await newApp();
    expectProblem(await call("GET", `/v1/apps/${appId}/widgets`, { token: key }), 404);
  });

  it.each([
    { method: "PUT", path: () => "/v1/apps", allow: ["GET", "POST"] },
    { method: "DELETE", path: () => "/v1/apps", allow: ["GET", "POST"] },
    { method: "POST", path: (app: string) => `/v1/apps/${app}`, allow: ["DELETE", "GET", "PATCH"] },
    {
      method: "PUT",
      path: (app: string) => `/v1/apps/${app}/endpoints/ep_00000000000000000000000000`,
      allow: ["DELETE", "GET", "PATCH"],
    },
    { method: "DELETE", path: (app: string) => `/v1/apps/${app}/messages`, allow: ["GET", "POST"] },
    {
      method: "PATCH",
      path: (app: string) => `/v1/apps/${app}/messages/msg_00000000000000000000000000`,
      allow: ["GET"],
    },
    {
      method: "GET",
      path: (app: string) => `/v1/apps/${app}/auth-profiles/ap_00000000000000000000000000/rotate`,
      allow: ["POST"],
    },
    { method: "POST", path: () => "/healthz", allow: ["GET"] },
  ])(
    "answers 405 with Allow for $method on a route that has other methods",
    async ({ method, path, allow }) => {
      const { appId } = await newApp();
      const res = await call(method, path(appId));
      const problem = expectProblem(res, 405);
      expect(problem.type).toBe("https://hooklane.dev/problems/method-not-allowed");
      const methods = (res.headers.get("allow") ?? "").split(/,\s*/).sort();
      expect(methods).toEqual(expect.arrayContaining(allow));
    },
  );

  it("answers 413 for a management body over 64 KiB", async () => {
    const res = await call("POST", "/v1/apps", { body: { name: "x".repeat(70 * 1024) } });
    expectProblem(res, 413);
  });

  it.each([
    {
      why: "text/plain",
      headers: { "content-type": "text/plain" },
      raw: '{"name":"x"}',
      status: 415,
    },
    {
      // The Request labels a bare string text/plain;charset=UTF-8.
      why: "a string without a content-type header",
      headers: {} as Record<string, string>,
      raw: '{"name":"x"}',
      status: 415,
    },
    {
      why: "invalid JSON",
      headers: { "content-type": "application/json" },
      raw: "{name:",
      status: 422,
    },
    {
      why: "JSON nested 33 deep",
      headers: { "content-type": "application/json" },
      raw: `{"name":"x","uid":${"[".repeat(32)}${"]".repeat(32)}}`,
      status: 422,
    },
  ])("answers $status on a management route for $why", async ({ headers, raw, status }) => {
    const { appId } = await newApp();
    const before = await call("GET", `/v1/apps/${appId}/endpoints`);
    expectProblem(await call("POST", "/v1/apps", { headers, raw }), status);
    const res = await call("POST", `/v1/apps/${appId}/endpoints`, { headers, raw });
    expectProblem(res, status);
    expect((await call("GET", `/v1/apps/${appId}/endpoints`)).body).toEqual(before.body);
  });

  it.each([
    { why: "bytes", raw: () => new TextEncoder().encode('{"name":"x"}') },
    { why: "a stream", raw: () => streamOf('{"name":"x"}') },
  ])(
    "answers 415 on a management route for $why with no content-type at all, creating nothing",
    async ({ raw }) => {
      // Unlike a string, these bodies give the request no content-type of its own.
      expect(
        new Request("https://hooklane.test/", { method: "POST", body: raw() }).headers.get(
          "content-type",
        ),
      ).toBeNull();
      const { appId } = await newApp();
      const apps = async () =>
        (await env.DB.prepare("SELECT COUNT(*) AS n FROM apps").first<{ n: number }>())?.n;
      const appsBefore = await apps();
      const created = await call("POST", "/v1/apps", { raw: raw() });
      expect(expectProblem(created, 415).detail).toBe("The request body must be application/json.");
      expect(await apps()).toBe(appsBefore);
      expectProblem(await call("POST", `/v1/apps/${appId}/endpoints`, { raw: raw() }), 415);
      expect(await countFor("endpoints", appId)).toBe(0);
    },
  );

  it("names every invalid field of a body at once", async () => {
    const { appId } = await newApp();
    const res = await call("POST", `/v1/apps/${appId}/endpoints`, {
      body: { url: 7, eventTypes: "all", successRule: "3xx" },
    });
    const problem = expectProblem(res, 422);
    expect(problem.errors?.map((e) => e.field).sort()).toEqual(
      ["eventTypes", "successRule", "url"].sort(),
    );
    for (const e of problem.errors ?? []) expect(e.detail).toEqual(expect.any(String));
  });

  it("answers 409 problem+json for a conflict", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId);
    const res = await call("DELETE", `/v1/apps/${appId}/auth-profiles/${ep.authProfileId}`);
    expect(expectProblem(res, 409).type).toBe("https://hooklane.dev/problems/conflict");
  });
});

describe("errors without a mapping of their own", () => {
  it("answers 409 problem+json when the app is deleted under a request (a foreign key fails), writing nothing", async () => {
    const { appId } = await newApp(); // this isolate now caches that the app exists
    // Another isolate deletes the app and the sweeper purges it: this one's cache still lets
    // the next request through, and D1's foreign key on event_types.app_id refuses the insert.
    expect(await deleteApp(env.DB, appId, Date.now())).not.toBeNull();
    await sweep(env);
    expect(await env.DB.prepare("SELECT id FROM apps WHERE id = ?").bind(appId).first()).toBeNull();
    const auditBefore = await countFor("audit_log", appId);
    const error = vi.spyOn(console, "error");

    const res = await call("POST", `/v1/apps/${appId}/event-types`, {
      body: { name: "invoice.paid" },
    });

    expect(expectProblem(res, 409)).toEqual({
      type: "https://hooklane.dev/problems/conflict",
      title: "Conflict",
      status: 409,
      detail: "A resource this request refers to no longer exists.",
      instance: `/v1/apps/${appId}/event-types`,
    });
    expect(await countFor("event_types", appId)).toBe(0);
    // The audit record was in the same batch: it rolled back with the insert.
    expect(await countFor("audit_log", appId)).toBe(auditBefore);
    // An expected race, answered and not logged as a failure.
    expect(error).not.toHaveBeenCalled();
  });

  it("answers a bare 500 problem+json naming only the request id, and logs the error under that id", async () => {
    const { appId } = await newApp();
    const path = `/v1/apps/${appId}/api-keys`;
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    // A table missing under a route (say, a migration not applied): D1 throws an error the API
    // has no mapping for. api_keys is renamed, not dropped, and only for this one request; no
    // admin request or queue consumer reads it.
    await env.DB.prepare("ALTER TABLE api_keys RENAME TO api_keys_hidden").run();
    let res: Awaited<ReturnType<typeof call>>;
    try {
      res = await call("GET", path, { headers: { "cf-ray": "8f3a2b1c0d9e8f7a-AMS" } });
    } finally {
      await env.DB.prepare("ALTER TABLE api_keys_hidden RENAME TO api_keys").run();
    }

    expect(expectProblem(res, 500)).toEqual({
      type: "https://hooklane.dev/problems/internal",
      title: "Internal Server Error",
      status: 500,
      detail: "Request 8f3a2b1c0d9e8f7a-AMS failed.",
      instance: path,
    });
    expect(JSON.stringify(res.body)).not.toMatch(/api_keys|sqlite|no such table|D1_ERROR|stack/i);

    expect(error).toHaveBeenCalledTimes(1);
    expect(JSON.parse(String(error.mock.calls[0]?.[0]))).toMatchObject({
      msg: "unhandled error",
      requestId: "8f3a2b1c0d9e8f7a-AMS",
      path,
      error: expect.stringMatching(/no such table: api_keys/),
      stack: expect.any(String),
    });
    // The table is back: the same route answers again.
    expect((await call("GET", path)).status).toBe(200);
  });
});
