import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { getEndpoint } from "../../db/endpoints";
import { openCount, recoverablePairs } from "../../db/open-deliveries";
import { restartDeliveries } from "../../deadletters/replay";
import { jsonRequest, jsonResponse, problems } from "../../schemas/common";
import { EndpointParams } from "../../schemas/resources";
import { audit } from "../audit";
import type { AppEnv } from "../context";
import { notFound } from "../problem";
import { validationHook } from "../validation";
import { BULK_LIMIT_MAX, Restarted, Time } from "./restart";

/** An endpoint's health and recovery. */
export const endpointOps = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const Recover = z
  .object({
    since: Time,
    limit: z.number().int().min(1).max(BULK_LIMIT_MAX).default(BULK_LIMIT_MAX),
  })
  .strict();

endpointOps.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/endpoints/{endpointId}/recover",
    operationId: "recoverEndpoint",
    tags: ["Endpoints"],
    summary: "Re-send every failed or dead delivery of an endpoint since a time",
    request: { params: EndpointParams, ...jsonRequest(Recover) },
    responses: { 202: jsonResponse("Restarted", Restarted), ...problems(400, 401, 404, 415, 422) },
  }),
  async (c) => {
    const { appId, endpointId } = c.req.valid("param");
    const body = c.req.valid("json");
    if (!(await getEndpoint(c.var.db, appId, endpointId))) throw notFound("Endpoint");
    const pairs = await recoverablePairs(
      c.var.db,
      appId,
      endpointId,
      Date.parse(body.since),
      body.limit + 1,
    );
    const restarted = await restartDeliveries(c.env, c.var.db, pairs.slice(0, body.limit));
    await audit(c, appId, "recover", "endpoint", endpointId, {
      since: body.since,
      restarted,
    }).run();
    return c.json({ restarted, more: pairs.length > body.limit }, 202);
  },
);

const Window = z.object({
  requests: z.number().int(),
  successRate: z.number().nullable(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
});
const Health = z
  .object({
    breaker: z.enum(["closed", "open", "half-open"]),
    consecutiveFailures: z.number().int(),
    nextProbeAt: z.string().nullable(),
    pausedUntil: z.string().nullable(),
    tokens: z.number().nullable().openapi({
      description:
        "Requests the pacer could still grant now (looking 2 s ahead); null = no rate limit.",
    }),
    inFlight: z.number().int(),
    lastHour: Window,
    lastDay: Window,
    lastSuccessAt: z.string().nullable(),
    waiting: z.number().int().openapi({ description: "Deliveries not finished yet." }),
    disabled: z.boolean(),
  })
  .openapi("EndpointHealth");

endpointOps.openapi(
  createRoute({
    method: "get",
    path: "/v1/apps/{appId}/endpoints/{endpointId}/health",
    operationId: "getEndpointHealth",
    tags: ["Endpoints"],
    summary: "Breaker state, rate-limit tokens, in-flight, success rate and latency, backlog",
    request: { params: EndpointParams },
    responses: { 200: jsonResponse("The endpoint's health", Health), ...problems(400, 401, 404) },
  }),
  async (c) => {
    const { appId, endpointId } = c.req.valid("param");
    const endpoint = await getEndpoint(c.var.db, appId, endpointId);
    if (!endpoint) throw notFound("Endpoint");
    const stub = c.env.ENDPOINT_GATE.get(c.env.ENDPOINT_GATE.idFromName(endpointId));
    const [gate, waiting] = await Promise.all([stub.health(), openCount(c.var.db, endpointId)]);
    return c.json({ ...gate, waiting, disabled: endpoint.disabled === 1 }, 200);
  },
);
