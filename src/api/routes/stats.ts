import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { type EndpointRow, getEndpoint, listEndpoints } from "../../db/endpoints";
import { summarize } from "../../gate/latency";
import {
  flatten,
  mergeSeries,
  SERIES_WINDOWS,
  type SeriesCell,
  type SeriesWindow,
  seriesRange,
  toPoints,
} from "../../gate/series";
import type { GateSeries } from "../../gate/types";
import { AppParams, jsonResponse, problems } from "../../schemas/common";
import { EndpointParams } from "../../schemas/resources";
import type { AppEnv, Ctx } from "../context";
import { notFound } from "../problem";
import { validationHook } from "../validation";

/** Traffic over time, for charts: read from the endpoints' gates, never from D1 rows. */
export const stats = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
const tags = ["Endpoints"];

/**
 * Most endpoints whose gates an app's stats ask, all at once: one Durable Object call each,
 * well inside a request's subrequest budget. An app with more says so (`endpoints.more`); its
 * figures are those of its newest endpoints.
 */
export const APP_STATS_MAX_ENDPOINTS = 50;

const WindowQuery = z.object({
  window: z
    .enum(Object.keys(SERIES_WINDOWS) as [SeriesWindow, ...SeriesWindow[]])
    .default("24h")
    .openapi({
      param: { name: "window", in: "query" },
      description: "24h: hourly points; 7d: 6-hourly points.",
    }),
});

const Point = z.object({
  at: z.string().openapi({ description: "Start of the step." }),
  requests: z.number().int(),
  successes: z.number().int(),
  successRate: z.number().nullable(),
  p95Ms: z.number().nullable(),
});
const Totals = z.object({
  requests: z.number().int(),
  successRate: z.number().nullable(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
});
const Breaker = z.enum(["closed", "open", "half-open"]);
const Series = {
  window: z.enum(["24h", "7d"]),
  stepSeconds: z.number().int(),
  from: z.string(),
  total: Totals,
  points: z.array(Point),
};
const EndpointStats = z
  .object({ ...Series, breaker: Breaker, nextProbeAt: z.string().nullable() })
  .openapi("EndpointStats");
const AppStats = z
  .object({
    ...Series,
    endpoints: z
      .object({
        asked: z.number().int(),
        limit: z.number().int(),
        more: z.boolean().openapi({
          description:
            "The app has more endpoints than were asked: the figures are its newest `limit` endpoints'.",
        }),
      })
      .openapi({ description: "Whose gates were asked." }),
    byEndpoint: z.array(
      z.object({
        endpointId: z.string(),
        url: z.string(),
        disabled: z.boolean(),
        disabledReason: z.string().optional(),
        breaker: Breaker,
        requests: z.number().int(),
        successRate: z.number().nullable(),
        p95Ms: z.number().nullable(),
      }),
    ),
  })
  .openapi("AppStats");

function gateSeries(c: Ctx, endpointId: string, window: SeriesWindow): Promise<GateSeries> {
  return c.env.ENDPOINT_GATE.get(c.env.ENDPOINT_GATE.idFromName(endpointId)).series(window);
}

/** The drawn form of a window's cells: every step as a point, and the window's totals. */
function seriesBody(window: SeriesWindow, cells: readonly SeriesCell[], now: number) {
  const range = seriesRange(window, now);
  return {
    window,
    stepSeconds: range.stepMs / 1000,
    from: new Date(range.from).toISOString(),
    total: summarize(flatten(cells)),
    points: toPoints(cells, range),
  };
}

stats.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/endpoints/{endpointId}/stats",
    operationId: "getEndpointStats",
    tags,
    summary: "An endpoint's deliveries, success rate and p95 latency over 24 h or 7 d",
    request: { params: EndpointParams, query: WindowQuery },
    responses: {
      200: jsonResponse("The endpoint's series", EndpointStats),
      ...problems(400, 401, 404),
    },
  }),
  async (c) => {
    const { appId, endpointId } = c.req.valid("param");
    const { window } = c.req.valid("query");
    if (!(await getEndpoint(c.var.db, appId, endpointId))) throw notFound("Endpoint");
    const now = Date.now();
    const gate = await gateSeries(c, endpointId, window);
    return c.json(
      {
        ...seriesBody(window, gate.cells, now),
        breaker: gate.breaker,
        nextProbeAt: gate.nextProbeAt,
      },
      200,
    );
  },
);

stats.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/stats",
    operationId: "getAppStats",
    tags,
    summary: "An app's deliveries, success rate and p95 latency over 24 h or 7 d, per endpoint too",
    description: `Merges the histograms of the app's newest ${APP_STATS_MAX_ENDPOINTS} endpoints (bucket by bucket, so the p95 is the app's own, not an average); \`endpoints.more\` says when the app has more.`,
    request: { params: AppParams, query: WindowQuery },
    responses: { 200: jsonResponse("The app's series", AppStats), ...problems(400, 401, 404) },
  }),
  async (c) => {
    const { appId } = c.req.valid("param");
    const { window } = c.req.valid("query");
    const rows: EndpointRow[] = await listEndpoints(c.var.db, appId, APP_STATS_MAX_ENDPOINTS, null);
    const asked = rows.slice(0, APP_STATS_MAX_ENDPOINTS);
    const now = Date.now();
    const gates = await Promise.all(asked.map((e) => gateSeries(c, e.id, window)));
    return c.json(
      {
        ...seriesBody(window, mergeSeries(gates.map((g) => g.cells)), now),
        endpoints: {
          asked: asked.length,
          limit: APP_STATS_MAX_ENDPOINTS,
          more: rows.length > APP_STATS_MAX_ENDPOINTS,
        },
        byEndpoint: asked.map((e, i) => {
          const gate = gates[i] as GateSeries;
          const total = summarize(flatten(gate.cells));
          return {
            endpointId: e.id,
            url: e.url,
            disabled: e.disabled === 1,
            ...(e.disabled_reason ? { disabledReason: e.disabled_reason } : {}),
            breaker: gate.breaker,
            requests: total.requests,
            successRate: total.successRate,
            p95Ms: total.p95Ms,
          };
        }),
      },
      200,
    );
  },
);
