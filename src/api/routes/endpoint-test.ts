import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { getEndpoint } from "../../db/endpoints";
import { toMessage } from "../../db/messages";
import { acceptMessage } from "../../ingest/accept";
import { checkIngestRate } from "../../ingest/rate-limit";
import { rawMember } from "../../lib/raw-json";
import { MOVE_RETRY_AFTER_S } from "../../lib/topology";
import { EventTypeName, jsonRequest, jsonResponse, problems } from "../../schemas/common";
import { Message } from "../../schemas/messages";
import { EndpointParams } from "../../schemas/resources";
import type { AppEnv } from "../context";
import { ApiError, notFound } from "../problem";
import { validationHook } from "../validation";

/** "Send a test event": one message delivered to one endpoint, for the dashboard and portal. */
export const endpointTest = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

/** The event type of a test event when the endpoint takes every type. */
export const TEST_EVENT_TYPE = "hooklane.test";

const TestEvent = z
  .object({
    eventType: EventTypeName.optional().openapi({
      description:
        "Default: the endpoint's first event type (a `prefix.*` wildcard becomes `prefix.test`), or hooklane.test.",
    }),
    payload: z.record(z.string(), z.unknown()).optional().openapi({
      description: "A JSON object. Default: { type, test: true, timestamp }.",
    }),
  })
  .strict()
  .openapi("TestEvent");

/**
 * The event type a test event gets by default: the endpoint's first filter, made concrete, so
 * the receiver sees a type it subscribed to.
 */
export function defaultTestEventType(filters: readonly string[]): string {
  const first = filters[0];
  if (first === undefined || first === "*") return TEST_EVENT_TYPE;
  return first.endsWith(".*") ? `${first.slice(0, -2)}.test` : first;
}

endpointTest.openapi(
  createRoute({
    method: "post",
    path: "/v1/apps/{appId}/endpoints/{endpointId}/test",
    operationId: "sendTestEvent",
    tags: ["Endpoints"],
    summary: "Send a test event to this endpoint only",
    description:
      "Accepts a message whose fan-out names only this endpoint, whatever its event-type filters, and answers as message ingest does (202, the message with its one delivery). The event type's JSON Schema, if any, applies to the payload; the app's ingest rate limit counts it. A disabled endpoint answers 409.",
    request: { params: EndpointParams, ...jsonRequest(TestEvent) },
    responses: {
      202: jsonResponse("Accepted", Message),
      ...problems(400, 401, 404, 409, 413, 415, 422, 429, 503),
    },
  }),
  async (c) => {
    const { appId, endpointId } = c.req.valid("param");
    const body = c.req.valid("json");
    const endpoint = await getEndpoint(c.var.db, appId, endpointId);
    if (!endpoint) throw notFound("Endpoint");
    // The consumer cancels deliveries to a disabled endpoint: say so rather than accept one.
    if (endpoint.disabled === 1)
      throw new ApiError(409, "Conflict", "The endpoint is disabled; re-enable it first.");
    if (c.var.placement.moving)
      throw new ApiError(
        503,
        "Service Unavailable",
        "This app is being moved to another shard; send again shortly.",
        undefined,
        { "retry-after": String(MOVE_RETRY_AFTER_S) },
      );
    await checkIngestRate(c.env, c.var.db, appId);
    const eventType =
      body.eventType ?? defaultTestEventType(JSON.parse(endpoint.event_types) as string[]);
    const payload = body.payload ?? {
      type: eventType,
      test: true,
      timestamp: new Date().toISOString(),
    };
    // A given payload is sent as written, like ingest's; the default one is ours to serialize.
    const rawPayload = body.payload
      ? (rawMember(await c.req.text(), "payload") ?? JSON.stringify(body.payload))
      : JSON.stringify(payload);
    const accepted = await acceptMessage(c.env, c.var.db, {
      appId,
      eventType,
      payload,
      rawPayload,
      only: { id: endpoint.id, fifo: endpoint.ordering === "fifo" },
    });
    return c.json(toMessage(accepted.row, accepted.deliveries), 202);
  },
);
