import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { settings } from "../../config";
import { getApp } from "../../db/apps";
import { getEndpoint } from "../../db/endpoints";
import { buildRequest } from "../../delivery/request";
import { newId } from "../../lib/ids";
import { jsonRequest, jsonResponse, problems } from "../../schemas/common";
import { ceSourceOf } from "../../schemas/formats";
import { EndpointParams } from "../../schemas/resources";
import { TransformPreview, TransformPreviewRequest } from "../../schemas/transform";
import { applyTransform } from "../../transform/apply";
import type { AppEnv } from "../context";
import { invalid, notFound } from "../problem";
import { validationHook } from "../validation";

/** Try an endpoint's transform (saved, or given) on a sample payload; nothing is sent or saved. */
export const transformPreview = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

/** The event type of a preview's sample message when none is given. */
export const PREVIEW_EVENT_TYPE = "transform.preview";

transformPreview.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/endpoints/{endpointId}/transform/preview",
    operationId: "previewEndpointTransform",
    tags: ["Endpoints"],
    summary: "Preview what a transform would send for a sample payload",
    description:
      "Builds the body the endpoint's format would send for `payload` (as a message of `eventType` created now), applies `transform` or else the endpoint's saved transform, and answers the URL, body and added headers that would go out. Nothing is sent or saved. A transform that fails on this payload answers 422 naming `transform` with its error, as a delivery would record it.",
    request: { params: EndpointParams, ...jsonRequest(TransformPreviewRequest) },
    responses: {
      200: jsonResponse("What would be sent", TransformPreview),
      ...problems(400, 401, 404, 413, 415, 422),
    },
  }),
  async (c) => {
    const { appId, endpointId } = c.req.valid("param");
    const input = c.req.valid("json");
    const endpoint = await getEndpoint(c.var.db, appId, endpointId);
    if (!endpoint) throw notFound("Endpoint");
    const now = Date.now();
    // Only a CloudEvents body names the app's source.
    const app = endpoint.format !== "standard-webhooks" ? await getApp(c.var.db, appId) : null;
    const built = buildRequest(
      endpoint.format,
      {
        id: newId("msg", now),
        event_type: input.eventType ?? PREVIEW_EVENT_TYPE,
        created_at: now,
        payload: JSON.stringify(input.payload),
      },
      ceSourceOf(appId, app?.ce_source),
    );
    const expression = input.transform ?? endpoint.transform ?? null;
    if (expression === null)
      return c.json({ url: endpoint.url, body: built.body, headers: {}, transformed: false }, 200);
    const applied = await applyTransform(expression, endpoint.url, built.body, {
      allowInsecure: settings(c.env).allowInsecureTargets,
    });
    if (!applied.ok)
      throw invalid("The transform fails on this payload.", [
        { field: "transform", detail: `transform_error: ${applied.error}` },
      ]);
    return c.json({ ...applied.request, transformed: true }, 200);
  },
);
