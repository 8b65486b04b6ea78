import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { getEndpoint } from "../../db/endpoints";
import { compileFilter, matchesFilter, parseExact } from "../../filters";
import { rawMember } from "../../lib/raw-json";
import { jsonRequest, jsonResponse, problems } from "../../schemas/common";
import { FilterTest, FilterTestResult } from "../../schemas/filters";
import { EndpointParams } from "../../schemas/resources";
import type { AppEnv } from "../context";
import { filterFromBody } from "../filter-input";
import { notFound } from "../problem";
import { validationHook } from "../validation";

/** Trying an endpoint's payload filter on a payload, without sending anything. */
export const endpointFilter = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

endpointFilter.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/endpoints/{endpointId}/filter/test",
    operationId: "testEndpointFilter",
    tags: ["Endpoints"],
    summary: "Test a payload against the endpoint's payload filter (or a filter to try)",
    description:
      "Answers whether ingest would deliver a message with this payload to this endpoint as far as its payload filter goes (event types aside). With `filter`, that filter is tried instead of the saved one, and refused with 422 as an endpoint update would refuse it. An endpoint without a filter matches every payload. Nothing is stored or sent.",
    request: { params: EndpointParams, ...jsonRequest(FilterTest) },
    responses: {
      200: jsonResponse("Whether the payload matches", FilterTestResult),
      ...problems(400, 401, 404, 413, 415, 422),
    },
  }),
  async (c) => {
    const { appId, endpointId } = c.req.valid("param");
    const body = c.req.valid("json");
    const endpoint = await getEndpoint(c.var.db, appId, endpointId);
    if (!endpoint) throw notFound("Endpoint");
    const text = await c.req.text();
    let node = body.filter === undefined ? null : filterFromBody(text).node;
    if (body.filter === undefined && endpoint.filter !== null) {
      const saved = compileFilter(parseExact(endpoint.filter));
      // A saved filter was valid when saved; ingest treats one that no longer is as absent.
      node = saved.ok ? saved.node : null;
    }
    // The payload as sent, so big numbers compare exactly, as they do at ingest.
    const payload = parseExact(rawMember(text, "payload") ?? JSON.stringify(body.payload));
    return c.json({ matches: node === null || matchesFilter(node, payload) }, 200);
  },
);
