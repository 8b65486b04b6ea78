import { z } from "@hono/zod-openapi";
import { checkTransform } from "../transform/engine";
import { TRANSFORM_LIMITS } from "../transform/limits";
import { EventTypeName } from "./common";

/** An endpoint's transform: a JSONata expression, refused at once when it cannot run. */
export const Transform = z
  .string()
  .max(TRANSFORM_LIMITS.expressionChars)
  .superRefine((expression, ctx) => {
    const problem = checkTransform(expression);
    if (problem) ctx.addIssue({ code: "custom", message: problem.detail });
  })
  .openapi({
    description:
      'A JSONata expression over the body the endpoint\'s format would send (e.g. `{ type, timestamp, data }`). It evaluates to the body to send, or to `{ "body": ..., "path": "/suffix", "headers": { "x-name": "value" } }` to also append a path to the URL and add x-* headers. Regular expressions and `$eval` are refused; an evaluation that fails, runs too long or makes more than 256 KiB dead-letters the delivery as `transform_error: ...`. README, "Transformations".',
    example: '{ "event": type, "invoiceId": data.invoice, "cents": data.amount }',
  });

export const TransformPreviewRequest = z
  .object({
    payload: z.record(z.string(), z.unknown()).openapi({ example: { invoice: "1001" } }),
    eventType: EventTypeName.optional().openapi({
      description: "The event type of the sample message; `transform.preview` when absent.",
    }),
    transform: Transform.optional().openapi({
      description: "An expression to try instead of the endpoint's saved one (nothing is saved).",
    }),
  })
  .strict();

export const TransformPreview = z
  .object({
    url: z.string().openapi({ description: "Where the request would go, path suffix included." }),
    body: z.string().openapi({ description: "The exact body that would be sent and signed." }),
    path: z.string().optional(),
    headers: z.record(z.string(), z.string()).openapi({
      description: "The headers the transform adds (besides the endpoint's own and the signature).",
    }),
    transformed: z.boolean().openapi({
      description:
        "False when the endpoint has no transform and none was given: the body as built.",
    }),
  })
  .openapi("TransformPreview");
