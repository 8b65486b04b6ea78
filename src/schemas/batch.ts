import { z } from "@hono/zod-openapi";

/** An endpoint's batching: up to `maxEvents` deliveries per request, held at most `maxWaitMs`. */
export const Batch = z
  .object({
    maxEvents: z.number().int().min(2).max(100),
    maxWaitMs: z.number().int().min(100).max(60_000),
  })
  .strict()
  .openapi("Batch", {
    description:
      "Send up to maxEvents deliveries in one request: a JSON array of the format's envelopes, each with its message id, signed as a whole under the batch's own webhook-id. A batch goes once it is full or its oldest delivery has waited maxWaitMs. Formats standard-webhooks and cloudevents (as application/cloudevents-batch+json) only; not with a transform. Unset: one delivery per request.",
    example: { maxEvents: 50, maxWaitMs: 1000 },
  });
export type Batch = z.infer<typeof Batch>;

/** The stored column (compact JSON) as the API shape; null when not batching. */
export function parseBatch(column: string | null | undefined): Batch | null {
  if (!column) return null;
  return JSON.parse(column) as Batch;
}

/**
 * Why a batching endpoint's other options cannot go with its batch, as 422 field problems:
 * CloudEvents binary mode has no batch form (its attributes are headers of one event), and a
 * transform reshapes one envelope into one request, so it has no defined place in an array.
 */
export function batchConflicts(
  batch: string | null | undefined,
  format: string,
  transform: string | null | undefined,
): { field: string; detail: string }[] {
  if (!batch) return [];
  const problems: { field: string; detail: string }[] = [];
  if (format === "cloudevents-binary")
    problems.push({
      field: "batch",
      detail: 'cloudevents-binary has no batch mode; use "cloudevents" or "standard-webhooks".',
    });
  if (transform)
    problems.push({ field: "batch", detail: "An endpoint cannot both batch and transform." });
  return problems;
}
