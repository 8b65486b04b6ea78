import { z } from "@hono/zod-openapi";
import { EventTypeName, idParam, Timestamp } from "./common";

export const MessageCreate = z
  .object({
    eventType: EventTypeName,
    payload: z
      .record(z.string(), z.unknown())
      .openapi({ description: "A JSON object (not an array, string or null)." }),
    eventId: z
      .string()
      .min(1)
      .max(256)
      .regex(/^[\x21-\x7e]+$/, "visible ASCII, no spaces")
      .optional()
      .openapi({ description: "Your id for this event; doubles as the idempotency key." }),
  })
  .strict();

/**
 * A delivery's status, derived from the attempt log and its open row: `pending` (accepted, not
 * tried yet, or waiting on its endpoint's gate), `failed` (tried, waiting for a retry), then one
 * of the three ends.
 */
export const DELIVERY_STATUSES = ["pending", "succeeded", "failed", "dead", "cancelled"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const DeliverySummary = z
  .object({
    id: z.string(),
    endpointId: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
  })
  .openapi("DeliverySummary");

export const Message = z
  .object({
    id: z.string(),
    eventType: z.string(),
    payload: z.record(z.string(), z.unknown()).optional(),
    eventId: z.string().optional(),
    createdAt: Timestamp,
    deliveries: z.array(DeliverySummary),
    filtered: z.array(z.string()).optional().openapi({
      description:
        "Endpoints that take this event type but whose payload filter refused this message: no delivery was made for them. Absent when none.",
    }),
    archived: z.boolean().optional().openapi({
      description:
        "Present (true) when the message was read from the R2 archive: it left D1 after D1_RETENTION_DAYS, and its deliveries are as they were then. The answer also carries the header `hooklane-archived: true`.",
    }),
  })
  .openapi("Message");

export const MessageParams = z.object({
  appId: idParam("app").openapi({ param: { name: "appId", in: "path" } }),
  messageId: idParam("msg").openapi({ param: { name: "messageId", in: "path" } }),
});

export const IdempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(256)
    .regex(/^[\x21-\x7e]+$/, "visible ASCII, no spaces")
    .optional()
    .openapi({ param: { name: "idempotency-key", in: "header" } }),
});

export const Attempt = z
  .object({
    id: z.string(),
    deliveryId: z.string(),
    messageId: z.string(),
    endpointId: z.string(),
    attempt: z.number().int(),
    startedAt: Timestamp,
    durationMs: z.number().int(),
    statusCode: z.number().int().optional(),
    error: z.string().optional(),
    responseExcerpt: z.string().optional(),
  })
  .openapi("Attempt");
