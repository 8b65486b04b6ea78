import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { LIMITS, settings } from "../config";
import { getSweeperState } from "../db/sweep";
import { retryWindowMs } from "../delivery/retry";
import { readOps, resetOps } from "../lib/ops";
import { shardDbs } from "../lib/topology";
import { combinedHealth, serviceHealth } from "../sweeper/health";
import { createUi } from "../ui";
import { authenticate, requireAdmin, requireAppAccess } from "./auth";
import { jsonBody } from "./body";
import type { AppEnv } from "./context";
import { docsPage } from "./docs-page";
import { ApiError, invalid, problemResponse } from "./problem";
import { apiKeys } from "./routes/api-keys";
import { apps } from "./routes/apps";
import { archive } from "./routes/archive";
import { attempts } from "./routes/attempts";
import { auditLog } from "./routes/audit";
import { authProfiles } from "./routes/auth-profiles";
import { deadLetters } from "./routes/dead-letters";
import { endpointFilter } from "./routes/endpoint-filter";
import { endpointOps } from "./routes/endpoint-ops";
import { endpointTest } from "./routes/endpoint-test";
import { endpoints } from "./routes/endpoints";
import { eventTypes } from "./routes/event-types";
import { messages } from "./routes/messages";
import { moves } from "./routes/moves";
import { portalSessions } from "./routes/portal-sessions";
import { stats } from "./routes/stats";
import { transformPreview } from "./routes/transform-preview";
import { validationHook } from "./validation";

/** The document's tags, in the order a reference shows them: one per resource. */
const API_TAGS = [
  { name: "Apps", description: "Tenants: each app has its own keys, event types and endpoints." },
  { name: "API keys", description: "An app's keys (hk_...), shown once when created." },
  { name: "Event types", description: "The catalog of event types, with optional JSON Schemas." },
  {
    name: "Auth profiles",
    description: "Reusable signing and auth: hmac-sha256, ed25519, bearer; rotation.",
  },
  {
    name: "Endpoints",
    description: "Target URLs with their event types, auth, gate limits and delivery options.",
  },
  { name: "Messages", description: "Ingest (202 once durable) and the message log." },
  { name: "Attempts", description: "Every HTTP attempt, with status, latency and excerpt." },
  { name: "Dead letters", description: "Deliveries that ran out of retries: inspect, replay." },
  { name: "Archive", description: "Hourly archives of messages older than D1 keeps." },
  { name: "Audit", description: "Who changed what, and operator events." },
  { name: "Consumer portal", description: "One-time links to an app's embeddable portal." },
];

/** The HTTP API: every route, auth, body limits, problem+json errors, the OpenAPI contract. */
export function createApi() {
  const api = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  api.use("*", async (c, next) => {
    c.set("requestId", c.req.header("cf-ray") ?? crypto.randomUUID());
    await next();
  });

  // Public, for load balancers and monitors: 503 when the last sweep saw deliveries outliving
  // their retry window or sweeps making no progress.
  api.get("/healthz", async (c) => {
    const cfg = settings(c.env);
    const now = Date.now();
    const states = await Promise.all(shardDbs(c.env).map((db) => getSweeperState(db)));
    const health = combinedHealth(
      states.map((state) =>
        serviceHealth(
          state,
          now,
          retryWindowMs(cfg.retrySchedule, cfg.requestTimeoutMs),
          cfg.sweepGraceS * 1000,
        ),
      ),
    );
    return c.json({ ok: health.status === "ok", ...health }, health.status === "ok" ? 200 : 503);
  });

  // Benchmark counters; absent unless OPS_COUNTERS is on.
  api.use("/__ops", async (c, next) => {
    if (c.env.OPS_COUNTERS !== "true") throw new ApiError(404, "Not Found", "No such route.");
    await next();
  });
  api.use("/__ops", authenticate, requireAdmin);
  api.get("/__ops", (c) => c.json(readOps()));
  api.post("/__ops/reset", authenticate, requireAdmin, (c) => {
    if (c.env.OPS_COUNTERS !== "true") throw new ApiError(404, "Not Found", "No such route.");
    resetOps();
    return c.body(null, 204);
  });

  // The operator dashboard: HTML pages with cookie sessions, outside the bearer-token API. Its
  // pages call this app in-process (src/ui/api-client.ts).
  api.route("/", createUi(api));

  api.use("/v1/*", authenticate);
  api.use("/v1/apps/:appId", requireAppAccess);
  api.use("/v1/apps/:appId/*", requireAppAccess);
  api.use(
    "/v1/*",
    jsonBody((path) =>
      path.endsWith("/messages") ? LIMITS.ingestBodyBytes : LIMITS.managementBodyBytes,
    ),
  );

  for (const sub of [
    apps,
    moves,
    apiKeys,
    eventTypes,
    authProfiles,
    endpoints,
    endpointOps,
    endpointTest,
    endpointFilter,
    stats,
    messages,
    attempts,
    archive,
    deadLetters,
    auditLog,
    portalSessions,
    transformPreview,
  ])
    api.route("/", sub);

  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "The operator's ADMIN_TOKEN, or an app API key (hk_...).",
  });
  const docConfig = {
    openapi: "3.1.0",
    info: {
      title: "Hooklane",
      version: "1",
      description:
        "Webhook delivery: apps, API keys, event types, auth profiles, endpoints and messages. Errors are RFC 9457 application/problem+json.",
    },
    security: [{ bearer: [] }],
    tags: API_TAGS,
  };
  // The servers entry is the origin the document was fetched from: a generated client pointed
  // at this document calls the same service, wherever it is deployed.
  api.doc31("/openapi.json", (c) => ({
    ...docConfig,
    servers: [{ url: new URL(c.req.url).origin, description: "This Hooklane" }],
  }));
  api.get("/docs", docsPage);

  const allowed = methodsByPath(api.routes);
  api.notFound((c) => {
    const methods = allowed(c.req.path);
    if (methods.length > 0) {
      return problemResponse(
        new ApiError(405, "Method Not Allowed", `${c.req.method} is not allowed here.`, undefined, {
          allow: methods.join(", "),
        }),
        c.req.path,
      );
    }
    return problemResponse(
      new ApiError(404, "Not Found", `No route for ${c.req.method} ${c.req.path}.`),
      c.req.path,
    );
  });

  api.onError((err, c) => {
    if (err instanceof ApiError) return problemResponse(err, c.req.path);
    if (err instanceof HTTPException) {
      // Hono's JSON validator throws this when JSON.parse fails on a body our guard let through.
      if (err.status === 400 && /malformed json/i.test(err.message)) {
        return problemResponse(invalid("The request body is not valid JSON."), c.req.path);
      }
      return problemResponse(new ApiError(err.status, err.message || "Error"), c.req.path);
    }
    if (err instanceof Error && /FOREIGN KEY constraint failed/i.test(err.message)) {
      // A row this request refers to was deleted meanwhile (e.g. the app, in another isolate).
      return problemResponse(
        new ApiError(409, "Conflict", "A resource this request refers to no longer exists."),
        c.req.path,
      );
    }
    console.error(
      JSON.stringify({
        msg: "unhandled error",
        requestId: c.get("requestId"),
        path: c.req.path,
        error: String(err),
        stack: err instanceof Error ? err.stack : undefined,
      }),
    );
    return problemResponse(
      new ApiError(500, "Internal Server Error", `Request ${c.get("requestId")} failed.`),
      c.req.path,
    );
  });

  return api;
}

/** For 405s: which methods some route answers on a path (routes registered on the app). */
function methodsByPath(routes: { method: string; path: string }[]): (path: string) => string[] {
  const table = routes
    .filter((r) => r.method !== "ALL")
    .map((r) => ({
      method: r.method,
      re: new RegExp(`^${r.path.replace(/:[A-Za-z]+/g, "[^/]+").replace(/\/\*$/, "(/.*)?")}$`),
    }));
  return (path) => [...new Set(table.filter((t) => t.re.test(path)).map((t) => t.method))];
}
